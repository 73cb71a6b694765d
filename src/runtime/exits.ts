// Exit records written by conmon: `<exitDir>/<cid>` holds the exit status
// (128+signal for a signalled process); its mtime is when the process ended.
// An `oom` file in the persist dir marks an OOM kill. `ExitWatcher` resolves
// waiters from one directory watch (with a slow poll as a safety net), so it
// also works for containers started by an earlier berthd.
import { existsSync, mkdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { ExitStatus } from './types.js';

/** ns since the epoch → RFC 3339 with nanoseconds, like Docker's FinishedAt. */
export function rfc3339Nano(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // …T12:34:56.789Z
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

export function readExitFile(file: string, oomMarker?: string): ExitStatus | null {
  let text: string;
  let st;
  try {
    text = readFileSync(file, 'utf8').trim();
    st = statSync(file, { bigint: true });
  } catch {
    return null;
  }
  if (text === '') return null; // conmon writes via a temp file + rename, but be careful
  const code = Number(text);
  return {
    exitCode: Number.isFinite(code) ? code : -1,
    finishedAt: rfc3339Nano(st.mtimeNs),
    oomKilled: !!oomMarker && existsSync(oomMarker),
  };
}

type Check = () => ExitStatus | null;

export class ExitWatcher {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private waiters = new Set<{ check: Check; resolve: (s: ExitStatus) => void }>();

  constructor(private readonly dir: string) {}

  /** Resolves once `check` returns a status; `check` runs on every change in the dir. */
  wait(check: Check): Promise<ExitStatus> {
    // Watch first, then look: an exit recorded between the two is seen by the
    // look, one recorded after it by the watch. (Looking first left a window in
    // which a fast `true` exited unseen until the safety poll, up to a second.)
    this.ensureWatching();
    const now = check();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      this.waiters.add({ check, resolve });
      this.timer ??= setInterval(() => this.poll(), 1000);
    });
  }

  /** One directory watch for the life of the watcher (cheap; no gap between containers). */
  private ensureWatching() {
    if (this.watcher) return;
    mkdirSync(this.dir, { recursive: true });
    this.watcher = watch(this.dir, () => this.poll());
    this.watcher.on('error', () => undefined);
    this.watcher.unref();
  }

  private poll() {
    for (const w of [...this.waiters]) {
      const s = w.check();
      if (s) {
        this.waiters.delete(w);
        w.resolve(s);
      }
    }
    if (this.waiters.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop() {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export const exitFileOf = (exitDir: string, id: string) => path.join(exitDir, id);
