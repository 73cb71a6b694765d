// The API server over a real unix socket with a test route table: typed
// errors become Docker's status codes and {"message"} bodies in one place,
// malformed JSON is a 400 that leaves the server up, and the version prefix
// is checked before routing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import {
  Conflict,
  InvalidArgument,
  NotFound,
  NotImplemented,
  NotModified,
  Unavailable,
} from '../../src/api/errors.js';
import { Router } from '../../src/api/router.js';
import { createApiServer } from '../../src/api/server.js';
import { Logger } from '../../src/util/log.js';
import { rawRequest } from '../support/http.js';

describe('API server', () => {
  let dir: string;
  let sock: string;
  let server: http.Server;
  const logged = new PassThrough();
  let logText = '';
  logged.on('data', (c: Buffer) => (logText += c.toString()));

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-api-server-'));
    sock = path.join(dir, 'api.sock');
    const router = new Router()
      .post('/echo', async (ctx) => ctx.send(201, { got: await ctx.json(), version: ctx.version }))
      .get('/fail/:kind', (ctx) => {
        const kind = ctx.params.kind;
        if (kind === 'notfound') throw new NotFound('No such container: abc');
        if (kind === 'conflict') throw new Conflict('name is in use');
        if (kind === 'invalid') throw new InvalidArgument('bad thing');
        if (kind === 'notmodified') throw new NotModified('already started');
        if (kind === 'unavailable') throw new Unavailable('busy');
        if (kind === 'notimpl') throw new NotImplemented('not yet');
        throw new Error('boom\nsecond line');
      })
      .get('/async-fail', async () => {
        await new Promise((r) => setTimeout(r, 5));
        throw new NotFound('late');
      });
    server = createApiServer(router, new Logger('error', logged));
    await new Promise<void>((resolve) => server.listen(sock, resolve));
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a JSON body reaches the handler; the version prefix is passed on', async () => {
    const r = await rawRequest(sock, 'POST', '/v1.44/echo', {
      body: '{"a":[1,2]}',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json, { got: { a: [1, 2] }, version: '1.44' });
    const bare = await rawRequest(sock, 'POST', '/echo', { body: '' });
    assert.deepEqual(bare.json, { got: {}, version: '1.51' });
  });

  test('malformed JSON is 400 "invalid JSON: …" and the server keeps serving', async () => {
    const r = await rawRequest(sock, 'POST', '/echo', {
      body: '{"a": ',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /^invalid JSON: /);
    assert.equal((await rawRequest(sock, 'POST', '/echo', { body: '{}' })).status, 201);
  });

  test('typed errors map to Docker status codes with {"message"} bodies', async () => {
    const cases: [string, number, string][] = [
      ['notfound', 404, 'No such container: abc'],
      ['conflict', 409, 'name is in use'],
      ['invalid', 400, 'bad thing'],
      ['unavailable', 503, 'busy'],
      ['notimpl', 501, 'not yet'],
      ['other', 500, 'boom'],
    ];
    for (const [kind, status, message] of cases) {
      const r = await rawRequest(sock, 'GET', `/fail/${kind}`);
      assert.equal(r.status, status, kind);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.deepEqual(r.json, { message }, kind);
    }
    assert.match(logText, /Handler for GET \/fail\/other returned error: boom/);
    const async = await rawRequest(sock, 'GET', '/async-fail');
    assert.equal(async.status, 404);
    assert.deepEqual(async.json, { message: 'late' });
  });

  test('NotModified is a bare 304', async () => {
    const r = await rawRequest(sock, 'GET', '/fail/notmodified');
    assert.equal(r.status, 304);
    assert.equal(r.body, '');
  });

  test('unknown path 404, wrong method 405, bad version 400 before routing', async () => {
    assert.deepEqual((await rawRequest(sock, 'GET', '/nowhere')).json, { message: 'page not found' });
    assert.equal((await rawRequest(sock, 'GET', '/echo')).status, 405);
    const r = await rawRequest(sock, 'GET', '/v1.60/nowhere');
    assert.equal(r.status, 400);
    assert.match(r.json.message, /client version 1\.60 is too new/);
  });
});
