// A berthd killed while it creates its default bridge must not leave that
// bridge behind: the name is noted before `ip link add`, and the next start
// removes a noted bridge that no network uses. The kill lands the moment the
// kernel reports the new link (ip monitor), before berthd has recorded the
// network in its database.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BERTHD, cleanupDir } from '../support/daemon.js';
import { Client } from '../../src/client/client.js';

const NOTES = '/run/berth-net-owners';

/** Bridges named in any berthd's owner note. */
function notedBridges(): Set<string> {
  const out = new Set<string>();
  for (const f of existsSync(NOTES) ? readdirSync(NOTES).filter((x) => x.endsWith('.json')) : []) {
    try {
      const n = JSON.parse(readFileSync(path.join(NOTES, f), 'utf8'));
      for (const b of [...(n.bridges ?? []), ...(n.claiming ?? [])]) out.add(b);
    } catch {
      /* being rewritten */
    }
  }
  return out;
}

const isBare = (b: string): boolean =>
  existsSync(`/sys/class/net/${b}`) &&
  spawnSync('ip', ['-o', 'addr', 'show', 'dev', b], { encoding: 'utf8' }).stdout.trim() === '';

describe('a berthd killed while claiming its bridge', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-claim-'));
  const sock = path.join(dir, 'berth.sock');
  const args = [
    BERTHD,
    '-H',
    `unix://${sock}`,
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--config-file',
    path.join(dir, 'daemon.json'),
  ];
  writeFileSync(path.join(dir, 'daemon.json'), '{}');
  const procs: ChildProcess[] = [];
  const launch = (): ChildProcess => {
    const p = spawn(process.execPath, args, { stdio: 'ignore' });
    procs.push(p);
    return p;
  };
  const exited = (p: ChildProcess): Promise<void> =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise((r) => p.once('exit', () => r()));

  /** Waits (30 s at most) until berthd `p` answers /_ping; fails with `failure` if it exits or never does. */
  const answersPing = async (p: ChildProcess, failure: string): Promise<void> => {
    const client = new Client(`unix://${sock}`);
    for (const deadline = Date.now() + 30_000; ;) {
      const up = await client.open('GET', '/_ping').then(
        (res) => (res.resume(), res.statusCode === 200),
        () => false,
      );
      if (up) return;
      assert.ok(Date.now() < deadline && p.exitCode === null, failure);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  after(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map(exited));
    await cleanupDir(dir, path.join(dir, 'data'), path.join(dir, 'exec'));
  });

  it('the next start removes the bridge it claimed', async () => {
    const monitor = spawn('ip', ['-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const seen = new Set<string>();
    let first: ChildProcess | undefined;
    const killed = new Promise<void>((resolve) => {
      createInterface({ input: monitor.stdout! }).on('line', (line) => {
        const m = /^\d+: (berth\d+)[:@]/.exec(line);
        if (!m || line.startsWith('Deleted')) return;
        seen.add(m[1]);
        if (first && first.exitCode === null && first.signalCode === null) {
          first.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 100)); // ip monitor subscribed
    first = launch();
    const timeout = setTimeout(() => first!.kill('SIGKILL'), 20_000);
    await Promise.race([killed, exited(first)]);
    await exited(first);
    clearTimeout(timeout);

    // Start again on the same data root, then stop cleanly: nothing of ours stays.
    const second = launch();
    await answersPing(second, 'second berthd did not come up');
    second.kill('SIGTERM');
    await exited(second);
    monitor.kill();

    assert.ok(seen.size > 0, 'the first berthd never created a bridge');
    const noted = notedBridges();
    const leaked = [...seen].filter((b) => isBare(b) && !noted.has(b));
    assert.deepEqual(leaked, [], `bridges left behind: ${leaked.join(' ')}`);
  });

  it('a bare berthN bridge that no berthd notes is removed at start-up', async () => {
    // What a berthd from before claims were noted leaves when killed mid-claim.
    const name = `berth${9000000 + (process.pid % 999999)}`;
    spawnSync('ip', ['link', 'add', name, 'type', 'bridge']);
    try {
      assert.ok(isBare(name) && !notedBridges().has(name));
      const p = launch();
      await answersPing(p, 'berthd did not come up');
      assert.equal(existsSync(`/sys/class/net/${name}`), false, `${name} is still there`);
      p.kill('SIGTERM');
      await exited(p);
    } finally {
      spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
    }
  });
});
