// quickGet (the CLI's raw-socket GET) against a node:http server on a unix
// socket: chunked and fixed-length bodies, query strings, daemon errors and
// a missing socket must come out as the regular client's would.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../../src/client/client.js';
import { CliContext } from '../../src/cli/context.js';
import { quickGet } from '../../src/cli/quick-get.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-quickget-'));
const sock = path.join(dir, 's.sock');
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/chunked') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"a":');
    res.end(JSON.stringify({ q: url.searchParams.getAll('f'), big: 'x'.repeat(70_000) }) + '}');
  } else if (url.pathname === '/fixed') {
    const body = JSON.stringify({ ok: true, all: url.searchParams.get('all') });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    const body = JSON.stringify({ message: 'No such image: nope:latest' });
    res.writeHead(404, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }
});
const ctxFor = (host: string): CliContext => new CliContext(() => ({ host }));

before(() => new Promise<void>((r) => server.listen(sock, () => r())));
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('chunked bodies and repeated query parameters', async () => {
  const v = await quickGet(ctxFor(`unix://${sock}`), '/chunked', { f: ['a=1', 'b=2'], skip: undefined });
  assert.deepEqual(v.a.q, ['a=1', 'b=2']);
  assert.equal(v.a.big.length, 70_000);
});

test('content-length bodies and booleans as 1/0', async () => {
  assert.deepEqual(await quickGet(ctxFor(`unix://${sock}`), '/fixed', { all: true }), { ok: true, all: '1' });
});

test('daemon errors and a missing socket are ApiErrors with the client texts', async () => {
  await assert.rejects(quickGet(ctxFor(`unix://${sock}`), '/images/nope/json'), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 404);
    assert.equal(e.message, 'No such image: nope:latest');
    return true;
  });
  const missing = `unix://${dir}/none.sock`;
  await assert.rejects(quickGet(ctxFor(missing), '/version'), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.status, 0);
    assert.equal(e.message, `Cannot connect to the berth daemon at ${missing}. Is the berth daemon running?`);
    return true;
  });
});
