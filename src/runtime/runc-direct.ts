// Two runc commands whose whole effect is file operations, done here without
// spawning runc (each spawn costs tens of milliseconds, more under load; both
// sit on the critical path of `docker run --rm`). Only for runc, whose state
// layout is known (`<root>/<id>/state.json`, `exec.fifo`); anything unexpected
// returns false and the caller runs the real command.
//
// start: `runc create` leaves the container's init blocked opening
//   `<root>/<id>/exec.fifo` for writing; `runc start` opens it for reading,
//   reads the byte init writes (init then execs the user process, closing its
//   end) and removes the fifo — runc reports "running" once the fifo is gone.
// delete (stopped): remove the container's cgroups and its state directory.
import { closeSync, constants, openSync, readFileSync, readSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from './monitor-util.js';

interface RuncBinary {
  path: string;
  root: string;
}

interface RuncState {
  init_process_pid?: number;
  cgroup_paths?: Record<string, string>;
  config?: { Hooks?: Record<string, unknown[] | null> | null };
}

const isRunc = (bin: RuncBinary): boolean => path.basename(bin.path) === 'runc';

function readState(dir: string): RuncState | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as RuncState;
  } catch {
    return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `runc start` done directly; false when the caller should run runc start instead. */
export async function startViaExecFifo(bin: RuncBinary, id: string, timeoutMs = 3000): Promise<boolean> {
  if (!isRunc(bin)) return false;
  const dir = path.join(bin.root, id);
  const st = readState(dir);
  // runc start also runs poststart hooks; berth writes none, but leave such a config to runc.
  if (!st?.init_process_pid || Object.values(st.config?.Hooks ?? {}).some((h) => h?.length)) return false;
  const fifo = path.join(dir, 'exec.fifo');
  let fd: number;
  try {
    // Non-blocking: a blocking open would hold a libuv thread if init never opened its end.
    fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  const buf = Buffer.alloc(16);
  let got = 0;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        n = -1; // init has its end open and has not written yet
      }
      if (n > 0) {
        got += n;
        continue;
      }
      // 0 = no writer: before init opened its end (keep waiting), or after it exec'd (done).
      if (n === 0 && got > 0) break;
      if (Date.now() > deadline) {
        if (got > 0) break; // it was released; the exec is only slow
        return false;
      }
      if (n === 0 && got === 0 && !pidAlive(st.init_process_pid)) return false;
      await sleep(1);
    }
  } catch {
    if (got === 0) return false;
  } finally {
    closeSync(fd);
  }
  try {
    unlinkSync(fifo);
  } catch {
    /* runc treats a missing fifo as started, which it is */
  }
  return true;
}

/**
 * What `runc delete` does for a container whose processes are all gone:
 * remove its cgroups and its state directory. Returns false (so runc is
 * asked after all) for another runtime, a live init, or a non-empty cgroup.
 */
export function removeStoppedRuncState(bin: RuncBinary, id: string): boolean {
  if (!isRunc(bin)) return false;
  const dir = path.join(bin.root, id);
  const st = readState(dir);
  if (!st?.init_process_pid || pidAlive(st.init_process_pid)) return false;
  const cgroups = Object.values(st.cgroup_paths ?? {});
  for (const cg of cgroups) {
    try {
      if (readFileSync(path.join(cg, 'cgroup.procs'), 'utf8').trim() !== '') return false;
    } catch {
      /* controller dir already gone */
    }
  }
  for (const cg of cgroups) {
    try {
      rmdirSync(cg);
    } catch {
      /* gone, or a child dir left by the container: the caller's cgroup sweep tries again */
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return true;
}
