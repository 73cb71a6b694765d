// Health checks: the image's or container's HEALTHCHECK runs as an exec at
// each interval; results move State.Health through starting → healthy /
// unhealthy with Docker's FailingStreak, Retries, StartPeriod and a log of
// the last five probes, and publish `health_status: …` events on change.
import type { ContainerService } from './containers.js';
import { nowNano, type ContainerRecord, type HealthConfig } from './containers-model.js';
import { newContainerId } from './containers-names.js';

const DEFAULT_INTERVAL_NS = 30e9;
const DEFAULT_TIMEOUT_NS = 30e9;
const DEFAULT_RETRIES = 3;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

export function probeArgs(hc: HealthConfig | null | undefined): string[] | null {
  const test = hc?.Test;
  if (!test || test.length === 0 || test[0] === 'NONE') return null;
  if (test[0] === 'CMD') return test.length > 1 ? test.slice(1) : null;
  if (test[0] === 'CMD-SHELL') return test.length > 1 ? ['/bin/sh', '-c', test[1]] : null;
  return null;
}

/** How dockerd names an exec in its events: entrypoint, a space, the arguments ("exec_create: true "). */
export function execEventCommand(args: string[]): string {
  return `${args[0] ?? ''} ${args.slice(1).join(' ')}`;
}

export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly svc: ContainerService) {
    svc.lifecycle.hooks.onStarted.push((c) => this.start(c, true));
    svc.lifecycle.hooks.onExited.push((c) => this.stop(c.id));
  }

  /** Arms the probe loop; `fresh` resets the status to "starting" (a new run). */
  start(c: ContainerRecord, fresh: boolean): void {
    this.stop(c.id);
    const args = probeArgs(c.config.Healthcheck);
    if (!args) return;
    const hc = c.config.Healthcheck!;
    if (fresh || !c.state.Health) {
      c.state.Health = { Status: 'starting', FailingStreak: 0, Log: c.state.Health?.Log ?? [] };
      this.svc.store.save(c);
    }
    const interval = (hc.Interval || DEFAULT_INTERVAL_NS) / 1e6;
    const startedMs = Date.now();
    const loop = (): void => {
      const t = setTimeout(() => {
        void this.probe(c, args, hc, startedMs).finally(() => {
          if (this.timers.get(c.id) === t) loop();
        });
      }, interval);
      t.unref();
      this.timers.set(c.id, t);
    };
    loop();
  }

  stop(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private async probe(c: ContainerRecord, args: string[], hc: HealthConfig, startedMs: number): Promise<void> {
    if (!c.state.Running || c.state.Paused || !c.state.Health) return;
    const start = nowNano();
    const timeoutMs = (hc.Timeout || DEFAULT_TIMEOUT_NS) / 1e6;
    let exitCode: number;
    let output = '';
    // A probe is an exec to dockerd, with the same events (docker events shows them).
    const execID = newContainerId();
    const cmd = execEventCommand(args);
    this.svc.publish(c, `exec_create: ${cmd}`, { execID });
    try {
      const proc = await this.svc.runtime.exec(c.id, { args, env: [], tty: false, privileged: false, attachStdin: false });
      this.svc.publish(c, `exec_start: ${cmd}`, { execID });
      void proc.exited.then(
        (code) => this.svc.publish(c, 'exec_die', { execID, exitCode: String(code) }),
        () => undefined,
      );
      const collect = (d: Buffer): void => {
        if (output.length < MAX_OUTPUT) output += d.toString();
      };
      proc.stdout.on('data', collect);
      proc.stderr?.on('data', collect);
      const timedOut = new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref());
      const code = await Promise.race([proc.exited, timedOut]);
      if (code === null) {
        exitCode = -1;
        output = `Health check exceeded timeout (${formatSeconds(timeoutMs)})`;
        if (proc.pid) {
          try {
            process.kill(proc.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      } else exitCode = code;
    } catch (e) {
      exitCode = -1;
      output = (e as Error).message;
    }
    const h = c.state.Health;
    if (!h || !c.state.Running || !this.svc.store.has(c.id)) return;
    h.Log.push({ Start: start, End: nowNano(), ExitCode: exitCode, Output: output.slice(0, MAX_OUTPUT) });
    if (h.Log.length > MAX_LOG) h.Log.splice(0, h.Log.length - MAX_LOG);
    const before = h.Status;
    if (exitCode === 0) {
      h.FailingStreak = 0;
      h.Status = 'healthy';
    } else {
      const inStartPeriod = hc.StartPeriod && Date.now() - startedMs < hc.StartPeriod / 1e6;
      if (!(inStartPeriod && h.Status === 'starting')) {
        h.FailingStreak++;
        if (h.FailingStreak >= (hc.Retries || DEFAULT_RETRIES)) h.Status = 'unhealthy';
      }
    }
    this.svc.store.save(c);
    if (h.Status !== before) this.svc.publish(c, `health_status: ${h.Status}`);
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms / 1000}s`;
}
