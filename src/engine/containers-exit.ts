// What happens when a container's process exits: the die event, Docker's
// restart policies with their back-off, AutoRemove, and the waiters of
// `docker wait` / `stop`.
import { EventEmitter } from 'node:events';
import type { ExitStatus } from '../runtime/types.js';
import { Phases } from '../util/phases.js';
import type { ContainerService } from './containers.js';
import type { Lifecycle } from './containers-lifecycle.js';
import { nowNano, timeMs, type ContainerRecord } from './containers-model.js';

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 60_000;
const BACKOFF_RESET_AFTER_MS = 10_000;

export class ExitHandler {
  /** 'exit:<id>' (code, restarting) and 'removed:<id>' (code). */
  readonly waiters = new EventEmitter();
  /** Bumped per run so a stale waitExit of an earlier run is ignored. */
  private readonly runs = new Map<string, number>();
  private readonly backoff = new Map<string, number>();
  private readonly pendingRestart = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly svc: ContainerService,
    private readonly lc: Lifecycle,
  ) {
    this.waiters.setMaxListeners(0);
  }

  /** Watches for the exit of the current run (also used to adopt containers after a daemon restart). */
  arm(c: ContainerRecord): void {
    const run = (this.runs.get(c.id) ?? 0) + 1;
    this.runs.set(c.id, run);
    this.svc.runtime.waitExit(c.id).then(
      (exit) => {
        if (this.runs.get(c.id) === run) void this.lc.locked(c.id, () => this.onExit(c, exit));
      },
      (err) => {
        this.svc.deps.log.error('waiting for container exit failed', { id: c.id, err: String(err) });
        if (this.runs.get(c.id) === run)
          void this.lc.locked(c.id, () => this.onExit(c, { exitCode: 255, finishedAt: nowNano(), oomKilled: false }));
      },
    );
  }

  /** The process is gone: record it, then restart or remove as the policy says. */
  async onExit(c: ContainerRecord, exit: ExitStatus): Promise<void> {
    if (!this.svc.store.has(c.id)) return;
    this.runs.set(c.id, (this.runs.get(c.id) ?? 0) + 1);
    for (const f of this.lc.hooks.onExited) f(c);
    const t = new Phases(this.svc.deps.log, 'container exit', { id: c.id.slice(0, 12) });
    await this.releaseResources(c);
    t.mark('release');
    const startedMs = timeMs(c.state.StartedAt);
    const finishedAt = exit.finishedAt || nowNano();
    const restart = this.shouldRestart(c, exit.exitCode);
    Object.assign(c.state, {
      Status: restart ? 'restarting' : 'exited', Running: restart, Restarting: restart, Paused: false,
      Pid: 0, ExitCode: exit.exitCode, OOMKilled: exit.oomKilled, FinishedAt: finishedAt,
    });
    if (c.state.Health && !restart) c.state.Health.Status = 'unhealthy';
    this.svc.store.save(c);
    if (exit.oomKilled) this.svc.publish(c, 'oom');
    const execDuration = startedMs ? Math.max(0, Math.round((Date.now() - startedMs) / 1000)) : 0;
    this.svc.publish(c, 'die', { execDuration: String(execDuration), exitCode: String(exit.exitCode) });
    this.waiters.emit('exit:' + c.id, exit.exitCode, restart);
    t.mark('record');
    if (restart) this.scheduleRestart(c, startedMs);
    else if (c.hostConfig.AutoRemove) {
      await this.svc.destroy(c).catch(() => undefined);
      t.mark('remove');
    }
    t.done();
  }

  /** After the process is gone: runtime state, network and rootfs, side by side (each waits on a child process). */
  async releaseResources(c: ContainerRecord): Promise<void> {
    await Promise.all([
      this.svc.runtime.delete(c.id).catch(() => undefined),
      this.svc.networking?.teardown(c).catch(() => undefined),
      this.lc.starter.unmountRootfs(c),
    ]);
  }

  private shouldRestart(c: ContainerRecord, code: number): boolean {
    if (c.manuallyStopped || c.state.Status === 'removing') return false;
    const rp = c.hostConfig.RestartPolicy as { Name: string; MaximumRetryCount: number };
    switch (rp.Name) {
      case 'always':
      case 'unless-stopped':
        return true;
      case 'on-failure':
        return code !== 0 && (rp.MaximumRetryCount === 0 || c.restartCount < rp.MaximumRetryCount);
      default:
        return false;
    }
  }

  /** Docker's back-off: 100 ms doubling up to a minute, back to 100 ms after 10 s of uptime. */
  private scheduleRestart(c: ContainerRecord, startedMs: number): void {
    let delay = this.backoff.get(c.id) ?? 0;
    if (startedMs && Date.now() - startedMs >= BACKOFF_RESET_AFTER_MS) delay = 0;
    delay = delay === 0 ? BACKOFF_START_MS : Math.min(delay * 2, BACKOFF_MAX_MS);
    this.backoff.set(c.id, delay);
    const timer = setTimeout(() => {
      this.pendingRestart.delete(c.id);
      void this.lc.locked(c.id, async () => {
        if (!this.svc.store.has(c.id) || !c.state.Restarting || c.manuallyStopped) return;
        c.restartCount++;
        try {
          await this.lc.starter.run(c);
        } catch (e) {
          this.svc.deps.log.warn('restart failed', { id: c.id, err: String(e) });
          Object.assign(c.state, { Status: 'exited', Running: false, Restarting: false });
          this.svc.store.save(c);
        }
      });
    }, delay);
    timer.unref();
    this.pendingRestart.set(c.id, timer);
  }

  cancelPendingRestart(c: ContainerRecord): void {
    const t = this.pendingRestart.get(c.id);
    if (t) clearTimeout(t);
    this.pendingRestart.delete(c.id);
    if (c.state.Restarting && !c.state.Pid) {
      Object.assign(c.state, { Status: 'exited', Running: false, Restarting: false });
      this.svc.store.save(c);
    }
  }

  /** A promise for the next exit of `c` (exit code). */
  nextExit(c: ContainerRecord): Promise<number> {
    return new Promise((resolve) => this.waiters.once('exit:' + c.id, (code: number) => resolve(code)));
  }

  notifyRemoved(c: ContainerRecord): void {
    this.waiters.emit('removed:' + c.id, c.state.ExitCode);
    this.waiters.emit('exit-final:' + c.id, c.state.ExitCode);
  }

  /** Used by live restore: restart a container whose exit happened while berthd was down. */
  restartAfterDowntime(c: ContainerRecord): void {
    this.scheduleRestart(c, 0);
  }
}
