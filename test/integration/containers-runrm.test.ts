// `docker run --rm` of a fast command: every run prints its output, exits 0
// and returns promptly. A lost end-of-stream on the monitor's attach socket
// once left the client waiting until its connection timed out (~63 s), and
// every monitor connection stayed open in berthd until it exited.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { DOCKER, startDaemon, type RunResult, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

/** A hang guard, not a performance bound: a healthy run takes about a second. */
const HANG_MS = 30_000;

describe('run --rm of fast commands', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    await d?.stop();
  });

  /** Runs the docker CLI without blocking the event loop, so runs can overlap. */
  const dockerAsync = (args: string[]): Promise<RunResult & { ms: number }> =>
    new Promise((resolve) => {
      const t0 = Date.now();
      const p = spawn(DOCKER, ['-H', d.host, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DOCKER_CONFIG: path.join(d.dir, 'docker-config') },
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const guard = setTimeout(() => p.kill('SIGKILL'), HANG_MS * 2);
      p.on('close', (code) => {
        clearTimeout(guard);
        resolve({ code: code ?? 128, stdout, stderr, ms: Date.now() - t0 });
      });
    });

  const check = (r: RunResult & { ms: number }, line: string): void => {
    assert.equal(r.code, 0, `${line}: exit ${r.code}: ${r.stderr}`);
    assert.equal(r.stdout, `${line}\n`, `${line}: stderr ${r.stderr}`);
    assert.ok(r.ms < HANG_MS, `${line} took ${r.ms} ms`);
  };

  it('prints every line of 30 sequential runs', async () => {
    for (let i = 0; i < 30; i++) check(await dockerAsync(['run', '--rm', 'busybox', 'echo', `n${i}`]), `n${i}`);
  });

  it('prints every line of concurrent runs', async () => {
    for (let round = 0; round < 3; round++) {
      const lines = Array.from({ length: 4 }, (_, i) => `r${round}c${i}`);
      const results = await Promise.all(lines.map((l) => dockerAsync(['run', '--rm', 'busybox', 'echo', l])));
      results.forEach((r, i) => check(r, lines[i]!));
    }
  });

  it('returns from run --rm of `true` with exit 0, also through the berth CLI', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await dockerAsync(['run', '--rm', 'busybox', 'true']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.ms < HANG_MS, `took ${r.ms} ms`);
      const t0 = Date.now();
      const b = d.berth(['run', '--rm', 'busybox', 'sh', '-c', `echo b${i}`]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(b.stdout, `b${i}\n`);
      assert.ok(Date.now() - t0 < HANG_MS, `berth run took ${Date.now() - t0} ms`);
    }
    const left = d.docker(['ps', '-aq']);
    assert.equal(left.stdout, '', 'every --rm container is removed');
  });

  it('closes its monitor connections once the containers are gone', async () => {
    const pid = d.proc.pid!;
    // The connections of the runs above end within a moment of each exit.
    let open = -1;
    for (let i = 0; i < 50; i++) {
      open = seqpacketSockets(pid);
      if (open === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(open, 0, 'berthd holds no SOCK_SEQPACKET connection to a gone monitor');
  });
});

/** SOCK_SEQPACKET unix sockets (conmon attach connections) held by process `pid`. */
function seqpacketSockets(pid: number): number {
  const r = spawnSync('ss', ['-x', '-a', '-p'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.startsWith('u_seq') && l.includes(`pid=${pid},`)).length;
}
