// Spawning conmon, the per-container (and per-exec) monitor, and speaking its
// pipe protocol. conmon double-forks and calls setsid, so the monitor outlives
// berthd; it holds stdio/the PTY, writes the k8s-file log and records the exit
// status in `<exitDir>/<cid>`.
//
// Pipes (Node passes extra stdio as unix socketpairs, which conmon accepts):
//   fd 3 _OCI_SYNCPIPE   conmon → us: JSON lines {"data": pid} then, for exec, {"data": exitCode}
//   fd 4 _OCI_STARTPIPE  us → conmon: one write to go; exec-attach needs a second one once attached
//   fd 5 _OCI_ATTACHPIPE conmon → us (exec-attach): {"data": 0} when the attach socket listens
//
// With the native addon conmon is started by posix_spawn (src/util/native.ts):
// a Node spawn first copies berthd's page tables and blocks the event loop
// until the child has exec'd -- the largest single cost left on the run path.
// Without the addon (or if its spawn fails) child_process.spawn does it.
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { reapWhenDone, viaNative, type BerthSys } from '../util/native.js';

export const CONMON_BINARY = process.env.BERTH_CONMON ?? 'conmon';

export interface ConmonOptions {
  cid: string;
  /** Session id: the container id, or the exec id. */
  cuuid: string;
  runtimePath: string;
  runtimeRoot: string;
  /** Bundle (create) or exec session directory: holds attach, ctl, pidfile. */
  bundle: string;
  exitDir: string;
  persistDir?: string;
  logPath?: string;
  logMaxSize?: number;
  tty: boolean;
  stdin: boolean;
  leaveStdinOpen: boolean;
  exec?: { processSpec: string; attach: boolean };
}

export function conmonArgs(o: ConmonOptions): string[] {
  const a = [
    '--api-version',
    '1',
    '-c',
    o.cid,
    '-u',
    o.cuuid,
    '-n',
    o.cid,
    '-r',
    o.runtimePath,
    '--runtime-arg',
    `--root=${o.runtimeRoot}`,
    '-b',
    o.bundle,
    '-p',
    `${o.bundle}/pidfile`,
    '--conmon-pidfile',
    `${o.bundle}/conmon.pid`,
    '--exit-dir',
    o.exitDir,
    '--socket-dir-path',
    o.bundle,
    '--full-attach',
    '--log-level',
    'error',
    '-l',
    o.logPath ? `k8s-file:${o.logPath}` : 'none',
  ];
  if (o.persistDir) a.push('--persist-dir', o.persistDir);
  if (o.logMaxSize && o.logMaxSize > 0) a.push('--log-size-max', String(o.logMaxSize));
  if (o.tty) a.push('-t');
  if (o.stdin) a.push('-i');
  if (o.leaveStdinOpen) a.push('--leave-stdin-open');
  if (o.exec) {
    a.push('-e', '--exec-process-spec', o.exec.processSpec);
    if (o.exec.attach) a.push('--exec-attach');
  }
  return a;
}

/** Reads newline-delimited {"data": n, "message"?: s} records from a conmon pipe. */
export class SyncReader {
  private buf = '';
  private queue: { data: number; message?: string }[] = [];
  private waiters: ((r: { data: number; message?: string } | null) => void)[] = [];
  private ended = false;

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (line) this.push(JSON.parse(line) as { data: number; message?: string });
      }
    });
    const end = () => {
      if (this.buf.trim()) {
        try {
          this.push(JSON.parse(this.buf.trim()) as { data: number; message?: string });
        } catch {
          /* partial record from a dying monitor */
        }
      }
      this.buf = '';
      this.ended = true;
      for (const w of this.waiters.splice(0)) w(null);
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private push(r: { data: number; message?: string }) {
    const w = this.waiters.shift();
    if (w) w(r);
    else this.queue.push(r);
  }

  /** The next record, or null when conmon closed the pipe first. */
  next(): Promise<{ data: number; message?: string } | null> {
    const r = this.queue.shift();
    if (r) return Promise.resolve(r);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface ConmonHandle {
  sync: SyncReader;
  attachPipe?: SyncReader;
  start: Writable;
  /** Closes our ends of the pipes (the monitor keeps running). */
  release(): void;
  /** stderr of the short-lived first conmon process (argument errors). */
  stderr(): string;
}

export function spawnConmon(o: ConmonOptions): ConmonHandle {
  const attach = !!o.exec?.attach;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    _OCI_SYNCPIPE: '3',
    _OCI_STARTPIPE: '4',
    ...(attach ? { _OCI_ATTACHPIPE: '5' } : {}),
  };
  const args = conmonArgs(o);
  // Any failure of the native spawn (even "not found") goes to Node's spawn, which reports it as before.
  return viaNative(
    'conmon',
    (sys) => spawnNative(sys, args, env, o.bundle, attach),
    () => spawnWithNode(args, env, o.bundle, attach),
    () => true,
  );
}

function spawnWithNode(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  attach: boolean,
): ConmonHandle {
  const child = spawn(CONMON_BINARY, args, {
    cwd,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', ...(attach ? (['pipe'] as const) : [])],
    env,
  });
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => (err += d));
  child.on('error', (e) => (err += e.message));
  child.unref();
  const sync = new SyncReader(child.stdio[3] as Readable);
  const start = child.stdio[4] as Writable;
  start.on('error', () => {});
  const attachPipe = attach ? new SyncReader((child.stdio as unknown as Readable[])[5]) : undefined;
  return {
    sync,
    attachPipe,
    start,
    stderr: () => err,
    release() {
      for (const s of child.stdio) (s as { destroy?: () => void } | null)?.destroy?.();
    },
  };
}

function spawnNative(
  sys: BerthSys,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  attach: boolean,
): ConmonHandle {
  const envList = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const [pid, errFd, syncFd, startFd, attachFd] = sys.spawn(
    CONMON_BINARY,
    [CONMON_BINARY, ...args],
    envList,
    cwd,
    attach ? 4 : 3,
  );
  // conmon's first process exits once it has forked the monitor: collect it.
  reapWhenDone(sys, pid, 2, 1000).catch(() => undefined); // ECHILD: already collected
  const stderr = new net.Socket({ fd: errFd, readable: true, writable: false });
  const syncSock = new net.Socket({ fd: syncFd, readable: true, writable: false });
  const start = new net.Socket({ fd: startFd, readable: false, writable: true });
  const attachSock = attach ? new net.Socket({ fd: attachFd, readable: true, writable: false }) : undefined;
  const all = [stderr, syncSock, start, ...(attachSock ? [attachSock] : [])];
  for (const s of all) s.on('error', () => {});
  let err = '';
  stderr.setEncoding('utf8');
  stderr.on('data', (d: string) => (err += d));
  return {
    sync: new SyncReader(syncSock),
    attachPipe: attachSock ? new SyncReader(attachSock) : undefined,
    start,
    stderr: () => err,
    release() {
      for (const s of all) s.destroy();
    },
  };
}

/** Pulls runc's `msg="…"` out of its text log line, if it is one. */
export function runtimeErrorText(raw: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(raw);
  const text = m ? m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\') : raw;
  return text.trim();
}
