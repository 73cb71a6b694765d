// The test harness itself: a daemon's teardown leaves no container, conmon,
// berthd or temp dir behind — after stop(), and when the test process is
// killed before its after() hooks run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

function alive(pid: number): boolean {
  try {
    // A zombie has exited: count it as gone.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function processesMentioning(dir: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir + '/') && alive(pid);
      } catch {
        return false;
      }
    });
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('test harness teardown', () => {
  test('stop() removes running containers, their monitors, the daemon and the temp dir', async () => {
    const d = await startDaemon();
    let pid = 0;
    try {
      await ensureBusybox(d);
      const r = d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '300']);
      assert.equal(r.code, 0, r.stderr);
      pid = Number(d.docker(['inspect', '-f', '{{.State.Pid}}', r.stdout.trim()]).stdout.trim());
      assert.ok(pid > 0 && alive(pid));
    } finally {
      await d.stop();
    }
    assert.equal(await until(() => !alive(pid), 5000), true, `container process ${pid} survived stop()`);
    assert.deepEqual(processesMentioning(d.dir), []);
    assert.equal(existsSync(d.dir), false);
  });

  test('a test process killed with SIGTERM mid-test still cleans up', async () => {
    // A child test process starts a daemon and a container, reports, then waits to be killed.
    const support = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support');
    const script = `
      const { startDaemon } = await import(${JSON.stringify(path.join(support, 'daemon.js'))});
      const { ensureBusybox } = await import(${JSON.stringify(path.join(support, 'images.js'))});
      const d = await startDaemon();
      await ensureBusybox(d);
      const r = d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '300']);
      const pid = d.docker(['inspect', '-f', '{{.State.Pid}}', r.stdout.trim()]).stdout.trim();
      console.log(JSON.stringify({ dir: d.dir, pid: Number(pid) }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      assert.equal(await until(() => out.includes('\n'), 60_000), true, 'child did not start its daemon');
      const { dir, pid } = JSON.parse(out.trim()) as { dir: string; pid: number };
      assert.ok(pid > 0 && alive(pid));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 143);
      assert.equal(await until(() => !alive(pid), 5000), true, `container process ${pid} survived`);
      assert.deepEqual(processesMentioning(dir), []);
      assert.equal(existsSync(dir), false);
    } finally {
      if (child.exitCode === null) {
        // SIGTERM first: the child's harness then tears its daemon down.
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await gone;
        clearTimeout(timer);
      }
    }
  });
});
