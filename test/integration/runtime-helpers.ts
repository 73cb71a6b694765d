// Helpers for the runtime tests: a busybox root filesystem in a temp dir, a
// ContainerRunSpec with sane defaults, and cleanup that works even when a test
// failed half-way (runc delete --force, umount, rm).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContainerRunSpec } from '../../src/runtime/types.js';

export const BUSYBOX = '/bin/busybox';

/** A minimal image layer: static busybox, applet links, /etc/passwd and /etc/group. */
export function makeBusyboxLayer(dir: string): string {
  for (const d of ['bin', 'sbin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'home/app'])
    mkdirSync(path.join(dir, d), { recursive: true });
  chmodSync(path.join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, path.join(dir, 'bin/busybox'));
  chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a === 'busybox') continue;
    try {
      symlinkSync('busybox', path.join(dir, 'bin', a));
    } catch {
      /* duplicate */
    }
  }
  writeFileSync(
    path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(
    path.join(dir, 'etc/group'),
    'root:x:0:\nwheel:x:10:app\napp:x:1000:\naudio:x:29:app\nnogroup:x:65534:\n',
  );
  return dir;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function uniqueId(): string {
  return Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
}

export function runSpec(
  id: string,
  rootfs: string,
  logPath: string,
  over: Partial<ContainerRunSpec> = {},
): ContainerRunSpec {
  return {
    id,
    rootfs,
    readonlyRootfs: false,
    args: ['sh', '-c', 'true'],
    env: [],
    cwd: '/',
    user: '',
    hostname: id.slice(0, 12),
    tty: false,
    openStdin: false,
    etcFiles: {},
    mounts: [],
    capAdd: [],
    capDrop: [],
    privileged: false,
    securityOpt: [],
    netns: 'none',
    init: false,
    resources: {},
    logPath,
    ...over,
  };
}

/** Best-effort teardown of everything a container test may have left behind. */
export function forceCleanup(runcRoot: string, ids: string[], mounts: string[], dirs: string[]) {
  for (const id of ids) {
    try {
      execFileSync('runc', ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  }
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* not mounted */
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export async function readUntil(
  stream: NodeJS.ReadableStream,
  pred: (s: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  let acc = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timed out; got ${JSON.stringify(acc)}`));
    }, timeoutMs);
    const onData = (d: Buffer | string) => {
      acc += d.toString();
      if (pred(acc)) {
        clearTimeout(t);
        stream.off('data', onData);
        resolve(acc);
      }
    };
    stream.on('data', onData);
  });
}
