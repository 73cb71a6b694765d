// berthd's life cycle: the socket it makes, refusing a second daemon on the
// same data root or socket, clean SIGTERM, and restart after a crash.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERTHD, startDaemon, type TestDaemon } from '../support/daemon.js';
import { rawRequest } from '../support/http.js';

describe('daemon life cycle', () => {
  let d: TestDaemon;
  let scratch: string;
  before(async () => {
    d = await startDaemon();
    scratch = mkdtempSync(path.join(os.tmpdir(), 'berth-daemon-test-'));
    writeFileSync(path.join(scratch, 'daemon.json'), '{}');
  });
  after(async () => {
    await d?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs a second berthd synchronously; it must fail fast, so a timeout is a failure. */
  const secondDaemon = (sock: string, dataRoot: string, execRoot: string) =>
    spawnSync(
      process.execPath,
      [
        BERTHD,
        '-H',
        `unix://${sock}`,
        '--data-root',
        dataRoot,
        '--exec-root',
        execRoot,
        '--config-file',
        path.join(scratch, 'daemon.json'),
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );

  test('the socket is a unix socket with mode 0660', () => {
    const st = statSync(d.sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  test('a second berthd on the same data root refuses with exit code 1', async () => {
    const r = secondDaemon(path.join(scratch, 'other.sock'), d.dataRoot, path.join(scratch, 'exec1'));
    assert.equal(r.status, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`already using the data root ${d.dataRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    assert.match(r.stderr, new RegExp(`pid ${d.proc.pid}`));
    assert.equal(
      existsSync(path.join(scratch, 'other.sock')),
      false,
      'the refused daemon must not leave a socket',
    );
    // The first daemon is unharmed.
    assert.equal((await rawRequest(d.sock, 'GET', '/_ping')).status, 200);
  });

  test('a second berthd on the same socket refuses with exit code 1', async () => {
    const r = secondDaemon(d.sock, path.join(scratch, 'data2'), path.join(scratch, 'exec2'));
    assert.equal(r.status, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stderr, /is in use by another daemon/);
    assert.equal((await rawRequest(d.sock, 'GET', '/_ping')).status, 200);
  });

  test('malformed JSON gets 400 and the daemon stays up', async () => {
    // Any route that reads a JSON body will do; the 400 must come before routing trouble.
    const r = await rawRequest(d.sock, 'POST', '/containers/create', {
      body: '{"Image": "busybox", ',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(r.status, 400, r.body);
    assert.match(r.json?.message ?? '', /^invalid JSON/);
    assert.equal((await rawRequest(d.sock, 'GET', '/_ping')).status, 200);
  });

  test('after a crash (SIGKILL) berthd starts again on the same paths and keeps its ID', async () => {
    const id = (await d.client.get('/info')).ID;
    await d.kill('SIGKILL');
    assert.ok(existsSync(d.sock), 'a crashed daemon leaves its socket behind');
    await d.restart();
    assert.equal((await d.client.get('/info')).ID, id);
  });

  test('SIGTERM shuts down cleanly: exit code 0 and the socket removed', async () => {
    await d.kill('SIGTERM');
    assert.equal(d.proc.exitCode, 0, d.log());
    assert.equal(existsSync(d.sock), false, 'socket still present after shutdown');
    assert.match(d.log(), /Daemon shutdown complete/);
    await d.restart(); // leave a running daemon for after()
  });
});
