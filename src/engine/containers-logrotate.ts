// `--log-opt max-size=… --log-opt max-file=N`, as Docker's json-file keeps it:
// the current file plus N-1 older generations, read oldest first by `docker
// logs`. conmon can only truncate its log (--log-size-max), so for N > 1
// berthd rotates: when the file reaches max-size it shifts <log>.1 … to
// <log>.2 …, drops the oldest, renames <log> to <log>.1 and asks conmon to
// reopen <log> (conmon keeps writing to the renamed file until then, so no
// line is lost). One timer checks the sizes of every rotating container.
// conmon runs without its own limit here (its byte count survives a reopen,
// so its truncation would clobber the new file), so while berthd is down the
// current file grows past max-size until berthd is back and rotates it.
import { renameSync, rmSync, statSync } from 'node:fs';
import type { ContainerService } from './containers.js';
import type { ContainerRecord, HostConfig } from './containers-model.js';

const CHECK_EVERY_MS = 250;

export interface LogLimits {
  maxSize?: number;
  maxFile: number;
}

/** Docker's size syntax for max-size: "10", "10k", "10m", "1g" (binary units, as json-file). */
export function parseLogSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * mult);
}

/**
 * Used when neither the container nor daemon.json's `log-opts` set max-size:
 * Docker's json-file never rotates by default and fills disks; these are the
 * defaults of Docker's `local` log driver (20 MB x 5 files).
 */
export const DEFAULT_LOG_LIMITS: Readonly<{ maxSize: number; maxFile: number }> = {
  maxSize: 20 * 1024 ** 2,
  maxFile: 5,
};

export function logLimits(h: HostConfig): LogLimits {
  const cfg = h.LogConfig?.Config ?? {};
  if (!cfg['max-size'] && (h.LogConfig?.Type ?? 'json-file') === 'json-file') return { ...DEFAULT_LOG_LIMITS };
  const maxSize = cfg['max-size'] ? parseLogSize(cfg['max-size']) : undefined;
  const maxFile = cfg['max-file'] ? Math.max(1, Number.parseInt(cfg['max-file'], 10) || 1) : 1;
  return { maxSize, maxFile };
}

/**
 * daemon.json `log-opts` fill in what the container's own log options leave
 * unset, for the daemon's (json-file) driver — stored in HostConfig, as dockerd does.
 */
export function mergeDaemonLogOpts(h: HostConfig, daemonOpts: Record<string, string>): void {
  if (!h.LogConfig || h.LogConfig.Type !== 'json-file') return;
  const cfg = (h.LogConfig.Config ??= {});
  for (const [k, v] of Object.entries(daemonOpts)) if (cfg[k] === undefined) cfg[k] = String(v);
}

interface Tracked {
  log: string;
  maxSize: number;
  maxFile: number;
}

export class LogRotation {
  private readonly tracked = new Map<string, Tracked>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly svc: ContainerService) {
    svc.lifecycle.hooks.onStarted.push((c) => this.track(c));
    svc.lifecycle.hooks.onExited.push((c) => this.untrack(c.id));
  }

  /** Starts watching a running container's log if its options keep several files. */
  track(c: ContainerRecord): void {
    const { maxSize, maxFile } = logLimits(c.hostConfig);
    if (!maxSize || maxFile <= 1 || !this.svc.runtime.reopenLog) return;
    this.tracked.set(c.id, { log: this.svc.paths(c.id).log, maxSize, maxFile });
    if (!this.timer) {
      this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
      this.timer.unref();
    }
  }

  untrack(id: string): void {
    this.tracked.delete(id);
    if (this.tracked.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private check(): void {
    for (const [id, t] of this.tracked) {
      let size: number;
      try {
        size = statSync(t.log).size;
      } catch {
        continue;
      }
      if (size >= t.maxSize) this.rotate(id, t);
    }
  }

  private rotate(id: string, t: Tracked): void {
    try {
      rmSync(`${t.log}.${t.maxFile - 1}`, { force: true });
      for (let i = t.maxFile - 2; i >= 1; i--) {
        try {
          renameSync(`${t.log}.${i}`, `${t.log}.${i + 1}`);
        } catch {
          /* that generation does not exist yet */
        }
      }
      renameSync(t.log, `${t.log}.1`);
    } catch (e) {
      this.svc.deps.log.warn('log rotation failed', { id, err: String(e) });
      return;
    }
    this.svc.runtime.reopenLog?.(id).catch((e: unknown) => {
      this.svc.deps.log.warn('log reopen failed', { id, err: String(e) });
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tracked.clear();
  }
}
