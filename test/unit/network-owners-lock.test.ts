// The host-wide subnet lock: calls in one process never overlap, and another
// process holding the lock makes us wait until it lets go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withSubnetLock } from '../../src/network/owners.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('calls within one process run one at a time, even when one fails', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-lock-'));
  try {
    const log: string[] = [];
    const job = (name: string, fail = false) =>
      withSubnetLock(async () => {
        log.push(`${name}+`);
        await sleep(30);
        log.push(`${name}-`);
        if (fail) throw new Error('boom');
        return name;
      }, dir);
    const results = await Promise.allSettled([job('a'), job('b', true), job('c')]);
    assert.deepEqual(log, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('another process holding the lock makes us wait', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-lock-'));
  const owners = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/network/owners.js');
  try {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { withSubnetLock } = await import(${JSON.stringify(owners)});
         await withSubnetLock(async () => { console.log('held'); await new Promise((r) => setTimeout(r, 800)); }, ${JSON.stringify(dir)});`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const t0 = Date.now();
    await withSubnetLock(async () => undefined, dir);
    const waited = Date.now() - t0;
    assert.ok(waited >= 300, `waited only ${waited} ms for the other process`);
    await new Promise((r) => child.once('exit', r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
