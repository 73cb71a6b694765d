// GET /events over a real socket, fed by a real EventBus: the since/until
// window replays history, live events stream, and filters follow Docker
// (values of one key ORed, keys ANDed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Router } from '../../src/api/router.js';
import { registerSystemRoutes } from '../../src/api/routes/system.js';
import { createApiServer } from '../../src/api/server.js';
import type { Daemon } from '../../src/engine/daemon.js';
import { EventBus } from '../../src/engine/events.js';
import { Logger } from '../../src/util/log.js';
import { jsonLines, rawRequest } from '../support/http.js';

describe('GET /events', () => {
  let dir: string;
  let sock: string;
  let server: http.Server;
  const bus = new EventBus();
  let t0: number; // seconds, before any event
  let t1: number; // seconds, between the two batches

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-api-events-'));
    sock = path.join(dir, 'api.sock');
    const router = new Router();
    // The events route needs only the bus; the rest of Daemon is not touched.
    registerSystemRoutes(router, { events: bus } as unknown as Daemon);
    server = createApiServer(router, new Logger('fatal'));
    await new Promise<void>((resolve) => server.listen(sock, resolve));

    t0 = Date.now() / 1000 - 1;
    bus.publish('container', 'create', 'c0ffee01', { name: 'web', image: 'busybox' });
    bus.publish('container', 'start', 'c0ffee01', { name: 'web', image: 'busybox' });
    bus.publish('image', 'tag', 'sha256:abc', { name: 'busybox:v1' });
    await new Promise((r) => setTimeout(r, 20));
    t1 = Date.now() / 1000;
    await new Promise((r) => setTimeout(r, 20));
    bus.publish('network', 'create', 'net1', { name: 'front', type: 'bridge' });
    bus.publish('container', 'die', 'dead0001', {
      name: 'db',
      image: 'postgres',
      exitCode: '1',
      'com.example': 'x',
    });
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const window = async (query: string): Promise<any[]> => {
    const now = Date.now() / 1000;
    const r = await rawRequest(
      sock,
      'GET',
      `/events?since=${t0.toFixed(3)}&until=${now.toFixed(3)}${query}`,
      { timeoutMs: 5000 },
    );
    assert.equal(r.status, 200, r.body);
    return jsonLines(r.body);
  };
  const f = (filters: Record<string, string[]>): string =>
    `&filters=${encodeURIComponent(JSON.stringify(filters))}`;

  test('since/until replays the recorded events in order, with legacy fields for containers', async () => {
    const evs = await window('');
    assert.deepEqual(
      evs.map((e) => `${e.Type} ${e.Action} ${e.Actor.ID}`),
      [
        'container create c0ffee01',
        'container start c0ffee01',
        'image tag sha256:abc',
        'network create net1',
        'container die dead0001',
      ],
    );
    assert.equal(evs[0].status, 'create');
    assert.equal(evs[0].id, 'c0ffee01');
    assert.equal(evs[0].from, 'busybox');
    assert.equal(evs[3].status, undefined, 'no legacy fields for networks');
    assert.equal(evs[0].scope, 'local');
    assert.equal(typeof evs[0].timeNano, 'number');
  });

  test('the window bounds are honoured', async () => {
    const until = await rawRequest(sock, 'GET', `/events?since=${t0.toFixed(3)}&until=${t1.toFixed(3)}`, {
      timeoutMs: 5000,
    });
    assert.equal(jsonLines(until.body).length, 3);
    const since = await window('').then((all) => all.filter((e) => e.time >= Math.floor(t1)));
    assert.ok(since.length >= 2);
    const later = await rawRequest(
      sock,
      'GET',
      `/events?since=${t1.toFixed(3)}&until=${(Date.now() / 1000).toFixed(3)}`,
      { timeoutMs: 5000 },
    );
    assert.deepEqual(
      jsonLines(later.body).map((e) => e.Action),
      ['create', 'die'],
    );
  });

  test('filters: one key ORs its values, keys AND together', async () => {
    assert.deepEqual(
      (await window(f({ type: ['network', 'image'] }))).map((e) => e.Action),
      ['tag', 'create'],
    );
    assert.deepEqual(
      (await window(f({ type: ['container'], event: ['start', 'die'] }))).map((e) => e.Actor.ID),
      ['c0ffee01', 'dead0001'],
    );
    assert.deepEqual(
      (await window(f({ container: ['db'] }))).map((e) => e.Action),
      ['die'],
    );
    assert.deepEqual((await window(f({ container: ['c0ffee'] }))).length, 2, 'an ID prefix matches');
    assert.deepEqual(
      (await window(f({ label: ['com.example=x'] }))).map((e) => e.Actor.ID),
      ['dead0001'],
    );
    assert.deepEqual(await window(f({ label: ['com.example=y'] })), []);
  });

  test('without since, only live events are sent, until the until time', async () => {
    const until = Date.now() / 1000 + 1.5;
    const pending = rawRequest(sock, 'GET', `/events?until=${until.toFixed(3)}`, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    bus.publish('volume', 'create', 'vol1', { driver: 'local' });
    const evs = jsonLines((await pending).body);
    assert.deepEqual(
      evs.map((e) => `${e.Type} ${e.Action}`),
      ['volume create'],
    );
  });

  test('a bad since is 400', async () => {
    const r = await rawRequest(sock, 'GET', '/events?since=yesterday');
    assert.equal(r.status, 400);
    assert.ok(r.json?.message);
  });
});
