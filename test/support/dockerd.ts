// A private dockerd (Debian's docker.io) for differential tests: its own
// socket, data root, exec root, pid file and a bridge this helper creates
// (never docker0, never `--bridge none`), torn down by PID with the bridge
// deleted, even when a test fails. `DOCKERD` is undefined when dockerd is
// not installed (tests skip only then).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DOCKER, type RunResult } from './daemon.js';
import { busyboxTar } from './images.js';
import { dropRulesForInterface } from './iptables-cleanup.js';
import { dockerdConfigPath, privateDockerdArgs } from './dockerd-args.js';

export const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));

export interface PrivateDockerd {
  dir: string;
  sock: string;
  /** The docker CLI against this dockerd. */
  docker(args: string[], opts?: { input?: string | Buffer; env?: Record<string, string> }): RunResult;
  /** `docker import` of the test busybox rootfs as busybox:latest (CMD ["sh"]). */
  loadBusybox(): void;
  stop(): Promise<void>;
}

/** A /24 in 10.200–10.249 that no route on the host touches. */
function freeSubnet(): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
  for (let i = 0; i < 200; i++) {
    const s = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;
    if (!routes.includes(`${s}.`)) return s;
  }
  throw new Error('no free subnet');
}

export async function startDockerd(): Promise<PrivateDockerd> {
  if (!DOCKERD) throw new Error('dockerd is not installed');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-dockerd-'));
  const sock = path.join(dir, 'd.sock');
  const bridge = `bd${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`.slice(0, 15);
  const sub = freeSubnet();
  spawnSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
  spawnSync('ip', ['addr', 'add', `${sub}.1/24`, 'dev', bridge]);
  spawnSync('ip', ['link', 'set', bridge, 'up']);
  writeFileSync(dockerdConfigPath(dir), '{}');
  let proc: ChildProcess | undefined;
  const docker: PrivateDockerd['docker'] = (args, opts = {}) => {
    const r = spawnSync(DOCKER, ['-H', `unix://${sock}`, ...args], {
      input: opts.input,
      encoding: 'utf8',
      timeout: 180_000,
      maxBuffer: 1 << 28,
      env: { ...process.env, ...(opts.env ?? {}) },
    });
    return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const stop = async (): Promise<void> => {
    try {
      if (proc && proc.exitCode === null) {
        const ids = docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
        if (ids.length) docker(['rm', '-f', ...ids]);
        const exited = new Promise((r) => proc!.once('exit', r));
        process.kill(proc.pid!, 'SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (proc.exitCode === null) process.kill(proc.pid!, 'SIGKILL');
      }
    } finally {
      process.off('exit', onExit);
      spawnSync('ip', ['link', 'del', bridge]);
      dropRulesForInterface(bridge);
      spawnSync('umount', ['-R', path.join(dir, 'exec')]);
      spawnSync('umount', ['-R', path.join(dir, 'data')]);
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A test process that dies without after() hooks still kills its dockerd and drops the bridge.
  const onExit = (): void => {
    try {
      if (proc?.pid && proc.exitCode === null) process.kill(proc.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    spawnSync('ip', ['link', 'del', bridge]);
    dropRulesForInterface(bridge);
  };
  process.on('exit', onExit);
  try {
    proc = spawn(DOCKERD, privateDockerdArgs(dir, sock, bridge), { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr!.on('data', (b: Buffer) => (log += b));
    for (let i = 0; i < 150 && docker(['version']).code !== 0; i++) {
      if (proc.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    if (docker(['version']).code !== 0) throw new Error(`dockerd did not start: ${log}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    sock,
    docker,
    loadBusybox: () => {
      const r = docker(['import', '-c', 'CMD ["sh"]', '-', 'busybox:latest'], {
        input: readFileSync(busyboxTar()),
      });
      if (r.code !== 0) throw new Error(`dockerd import: ${r.stderr}`);
    },
    stop,
  };
}
