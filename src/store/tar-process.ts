// GNU tar as a child process whose archive is streamed through a pipe. With
// the native addon it is started by posix_spawn (src/util/native.ts): a Node
// spawn first copies berthd's page tables, which blocks the event loop for
// 20–70 ms per layer under load. There tar reads its archive from fd 4
// (`-f /dev/fd/4`); stderr is a pipe. Without the addon (or if its spawn
// fails) child_process.spawn with tar's stdin.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { nativeSys, viaNative, type BerthSys } from '../util/native.js';

/** Stands for the archive tar reads (`-f -` with Node's spawn). */
export const ARCHIVE_IN = Symbol('archive input');

export interface TarProcess {
  /** Where the archive goes in. */
  input: Writable;
  kill(): void;
  /** True once tar ended (by itself or killed). */
  exited(): boolean;
  /** Resolves when tar exits 0; otherwise rejects with its exit and stderr. */
  done: Promise<void>;
}

const TAR = ['/usr/bin/tar', '/bin/tar'].find((p) => existsSync(p)) ?? 'tar';

function failure(code: number, signal: string | null, stderr: string): Error {
  return new Error(`tar ${signal ? 'killed by ' + signal : 'exit ' + code}: ${stderr.trim()}`);
}

export function tarProcess(args: (string | typeof ARCHIVE_IN)[]): TarProcess {
  return viaNative(
    'tar',
    (sys) => nativeTar(sys, args),
    () => nodeTar(args),
    () => true, // any failure of the native spawn goes to Node's, which reports it as before
  );
}

function nodeTar(args: (string | typeof ARCHIVE_IN)[]): TarProcess {
  const argv = args.map((a) => (a === ARCHIVE_IN ? '-' : a));
  const child = spawn('tar', argv, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  let ended = false;
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => {
      ended = true;
      reject(e);
    });
    child.on('close', (code, signal) => {
      ended = true;
      if (code === 0) resolve();
      else reject(failure(code ?? 1, signal, stderr));
    });
  });
  return { input: child.stdin!, kill: () => child.kill('SIGKILL'), exited: () => ended, done };
}

function nativeTar(sys: BerthSys, args: (string | typeof ARCHIVE_IN)[]): TarProcess {
  const argv = args.map((a) => (a === ARCHIVE_IN ? '/dev/fd/4' : a));
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
  // fd 3 (tar would write) is not used: closed at once; fd 4 is tar's input.
  const [pid, errFd, outFd, inFd] = sys.spawn(TAR, [TAR, ...argv], env, '/', 2);
  const stderrSock = new net.Socket({ fd: errFd, readable: true, writable: false });
  new net.Socket({ fd: outFd, readable: true, writable: false }).on('error', () => {}).destroy();
  const input = new net.Socket({ fd: inFd, readable: false, writable: true });
  let stderr = '';
  let ended = false;
  stderrSock.setEncoding('utf8');
  stderrSock.on('data', (d: string) => (stderr += d));
  stderrSock.on('error', () => {});
  const done = new Promise<void>((resolve, reject) => {
    // stderr closes when tar exits; then its status is collected (libuv reaps only its own children).
    const collect = (delay: number): void => {
      let status: number;
      try {
        status = sys.reap(pid);
      } catch (e) {
        ended = true;
        return reject(e as Error);
      }
      if (status < 0) {
        setTimeout(() => collect(Math.min(delay * 2, 100)), delay);
        return;
      }
      ended = true;
      input.destroy();
      if (status === 0) resolve();
      else reject(failure(status, status > 128 ? `signal ${status - 128}` : null, stderr));
    };
    stderrSock.once('close', () => collect(1));
  });
  return {
    input,
    kill: () => {
      if (!ended)
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
    },
    exited: () => ended,
    done,
  };
}
