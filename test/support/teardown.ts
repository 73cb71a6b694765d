// Leaving nothing behind after a test daemon, even when the test failed or
// its process is being killed: containers (which outlive berthd by design,
// under conmon), runc state, stray processes, mounts and the temp dir.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '../../src/client/client.js';

/** Asks the daemon to remove every container (force, with anonymous volumes); errors are ignored. */
export async function removeContainersViaApi(client: Client, timeoutMs = 20_000): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await client.open('GET', '/containers/json', { query: { all: '1' }, signal });
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    if (res.statusCode !== 200) return;
    const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Id: string }[];
    await Promise.all(
      list.map(async (c) => {
        const r = await client.open('DELETE', `/containers/${c.Id}`, {
          query: { force: '1', v: '1' },
          signal,
        });
        r.resume();
        await new Promise((resolve) => r.once('end', resolve).once('error', resolve));
      }),
    );
  } catch {
    /* the daemon is gone or has no containers API: reapLeftovers does the rest */
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function rootOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/root`);
  } catch {
    return '';
  }
}

/** runc state roots the test's daemon used: exec-root/runc, and any --root= a conmon names. */
function runcRoots(dir: string): string[] {
  const roots = new Set<string>();
  const walk = (p: string, depth: number): void => {
    if (depth < 0) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(p, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const full = path.join(p, e.name);
      if (e.name === 'runc') roots.add(full);
      else walk(full, depth - 1);
    }
  };
  walk(dir, 3);
  for (const pid of pids()) {
    const m = / --root=(\S+)/.exec(cmdline(pid));
    if (m && m[1].startsWith(dir + '/')) roots.add(m[1]);
  }
  return [...roots];
}

/**
 * Synchronous, so it can run from 'exit' and signal handlers: deletes the
 * runc containers under `dir` (killing their processes), then kills every
 * process still started from or rooted in `dir` (conmon, container
 * processes, a wedged berthd) by PID.
 */
export function reapLeftovers(dir: string): void {
  for (const root of runcRoots(dir)) {
    const list = spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8', timeout: 10_000 });
    for (const id of (list.stdout ?? '').split('\n').filter(Boolean))
      spawnSync('runc', ['--root', root, 'delete', '--force', id], { timeout: 10_000 });
  }
  const me = process.pid;
  for (const pid of pids()) {
    if (pid === me || pid === 1) continue;
    const cmd = cmdline(pid);
    const root = rootOf(pid);
    const ours = cmd.includes(dir + '/') || root.startsWith(dir + '/');
    if (!ours) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** Unmounts anything under `dir` (deepest first), then removes it. */
export function removeDirSync(dir: string): void {
  if (!existsSync(dir)) return;
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
}
