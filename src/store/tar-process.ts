// GNU tar as a child process whose archive is streamed through a pipe. With
// the native addon it is started by posix_spawn (src/util/native.ts): a Node
// spawn first copies berthd's page tables, which blocks the event loop for
// 20–70 ms per layer under load. There tar reads from fd 4 (`-f /dev/fd/4`,
// `-T /dev/fd/4`) and writes an archive it creates to fd 3; stderr is a
// pipe. Without the addon (or if its spawn fails) child_process.spawn with
// tar's stdin and stdout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { reapWhenDone, viaNative, type BerthSys } from '../util/native.js';

/** Stands for what tar reads (`-` with Node's spawn: its stdin). */
export const ARCHIVE_IN = Symbol('archive input');
/** Stands for the archive tar writes (`-` with Node's spawn: its stdout). */
export const ARCHIVE_OUT = Symbol('archive output');

type Arg = string | typeof ARCHIVE_IN | typeof ARCHIVE_OUT;

export interface TarExit {
  /** Exit code; 128+signal when killed. */
  code: number;
  signal: string | null;
  stderr: string;
}

export interface TarProcess {
  /** What tar reads (ARCHIVE_IN). */
  input: Writable;
  /** The archive tar writes (ARCHIVE_OUT), else null. */
  output: Readable | null;
  kill(): void;
  /** True once tar ended (by itself or killed). */
  exited(): boolean;
  /** How tar ended (rejects only when it could not be started or collected). */
  exit: Promise<TarExit>;
  /** Resolves when tar exits 0; otherwise rejects with its exit and stderr. */
  done: Promise<void>;
}

function withDone(t: Omit<TarProcess, 'done'>): TarProcess {
  const done = t.exit.then((x) => {
    if (x.code !== 0) throw failure(x.code, x.signal, x.stderr);
  });
  done.catch(() => undefined); // awaited by the callers that care
  return { ...t, done };
}

const TAR = ['/usr/bin/tar', '/bin/tar'].find((p) => existsSync(p)) ?? 'tar';

function failure(code: number, signal: string | null, stderr: string): Error {
  return new Error(`tar ${signal ? 'killed by ' + signal : 'exit ' + code}: ${stderr.trim()}`);
}

export function tarProcess(args: Arg[]): TarProcess {
  return viaNative(
    'tar',
    (sys) => nativeTar(sys, args),
    () => nodeTar(args),
    () => true, // any failure of the native spawn goes to Node's, which reports it as before
  );
}

function nodeTar(args: Arg[]): TarProcess {
  const argv = args.map((a) => (typeof a === 'string' ? a : '-'));
  const writes = args.includes(ARCHIVE_OUT);
  const child = spawn('tar', argv, { stdio: ['pipe', writes ? 'pipe' : 'ignore', 'pipe'] });
  let stderr = '';
  let ended = false;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<TarExit>((resolve, reject) => {
    child.on('error', (e) => {
      ended = true;
      reject(e);
    });
    child.on('close', (code, signal) => {
      ended = true;
      resolve({ code: code ?? 128, signal, stderr });
    });
  });
  return withDone({
    input: child.stdin!,
    output: writes ? child.stdout! : null,
    kill: () => child.kill('SIGKILL'),
    exited: () => ended,
    exit,
  });
}

function nativeTar(sys: BerthSys, args: Arg[]): TarProcess {
  const argv = args.map((a) => (a === ARCHIVE_IN ? '/dev/fd/4' : a === ARCHIVE_OUT ? '/dev/fd/3' : a));
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
  const [pid, errFd, outFd, inFd] = sys.spawn(TAR, [TAR, ...argv], env, '/', 2);
  const stderrSock = new net.Socket({ fd: errFd, readable: true, writable: false });
  const outSock = new net.Socket({ fd: outFd, readable: true, writable: false });
  outSock.on('error', () => {});
  const output = args.includes(ARCHIVE_OUT) ? outSock : null;
  if (!output) outSock.destroy();
  const input = new net.Socket({ fd: inFd, readable: false, writable: true });
  let stderr = '';
  let ended = false;
  stderrSock.setEncoding('utf8');
  stderrSock.on('data', (d: string) => (stderr += d));
  stderrSock.on('error', () => {});
  // stderr closes when tar exits; then its status is collected.
  const exit = new Promise<void>((r) => stderrSock.once('close', () => r()))
    .then(() => reapWhenDone(sys, pid, 1, 100))
    .then(
      (status): TarExit => {
        ended = true;
        input.destroy();
        return { code: status, signal: status > 128 ? `signal ${status - 128}` : null, stderr };
      },
      (e: unknown) => {
        ended = true;
        throw e;
      },
    );
  return withDone({
    input,
    output,
    kill: () => {
      if (!ended)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
    },
    exited: () => ended,
    exit,
  });
}
