// Small helpers shared by the container and exec paths of the runtime driver.
import {
  closeSync,
  constants as fsc,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Conflict, InvalidArgument, SystemError } from '../api/errors.js';
import { runtimeErrorText } from './conmon.js';

const SYNC_TIMEOUT_MS = 60_000;

/** Exit code Docker gives a container whose process could not be started. */
export function exitCodeForStartError(message: string): number | undefined {
  if (
    /executable file not found|no such file or directory|system cannot find the file specified/i.test(message)
  )
    return 127;
  if (/permission denied/i.test(message)) return 126;
  return undefined;
}

/** moby's translateContainerdStartErr: "not found"/EACCES are the user's fault (400). */
export function startError(prefix: string, raw: string): Error {
  const msg = `${prefix}: ${runtimeErrorText(raw) || 'unknown error'}: unknown`;
  return exitCodeForStartError(msg) !== undefined ? new InvalidArgument(msg) : new SystemError(msg);
}

export function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new SystemError(`timed out waiting for ${what}`)), SYNC_TIMEOUT_MS);
    }),
  ]);
}

/** Alive and not a zombie (an orphaned monitor may wait a while to be reaped by PID 1). */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function writeAtomic(file: string, data: string) {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Writes a resize request to conmon's control FIFO. */
export function writeCtl(dir: string, line: string) {
  const ctl = path.join(dir, 'ctl');
  if (!existsSync(ctl)) throw new Conflict('no control channel: the process is not running');
  // conmon keeps the read end open, so a non-blocking open succeeds while it lives.
  const fd = openWriteNonBlock(ctl);
  try {
    writeFileSync(fd, line);
  } finally {
    closeFd(fd);
  }
}

const openWriteNonBlock = (p: string) => openSync(p, fsc.O_WRONLY | fsc.O_NONBLOCK);
const closeFd = (fd: number) => closeSync(fd);
