// Running containers: start (overlay rootfs + runtime), stop with a timeout,
// kill, pause, restart, wait, and what happens when a process exits (die
// event, restart policy with Docker's back-off, AutoRemove).
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { Conflict, InvalidArgument, NotModified, SystemError } from '../api/errors.js';
import { isMountPoint, mountOverlay, unmount } from '../runtime/rootfs.js';
import type { ContainerRunSpec, ExitStatus } from '../runtime/types.js';
import { ensureDir } from '../util/fsx.js';
import { Phases } from '../util/phases.js';
import type { ContainerService } from './containers.js';
import { nowNano, timeMs, type ContainerRecord, type HostConfig } from './containers-model.js';
import { parseSignal } from './containers-signals.js';
import { writeEtcFiles } from './containers-etc.js';
import { runtimeMounts } from './volumes-mounts.js';

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 60_000;
const BACKOFF_RESET_AFTER_MS = 10_000;

export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string };
}

/** Hooks other parts register on the lifecycle (health checks, attach). */
export interface LifecycleHooks {
  /** Called after the runtime created the process and before it runs (attach before start); `abort` when the start failed. */
  beforeStart: Map<string, PendingStartHook[]>;
  onStarted: ((c: ContainerRecord) => void)[];
  onExited: ((c: ContainerRecord) => void)[];
}

export interface PendingStartHook {
  connect(c: ContainerRecord): Promise<void>;
  abort(): void;
}

export class Lifecycle {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly waiters = new EventEmitter();
  /** Bumped per run so a stale waitExit of an earlier run is ignored. */
  private readonly runs = new Map<string, number>();
  private readonly backoff = new Map<string, number>();
  private readonly pendingRestart = new Map<string, NodeJS.Timeout>();
  readonly hooks: LifecycleHooks = { beforeStart: new Map(), onStarted: [], onExited: [] };

  constructor(private readonly svc: ContainerService) {
    this.waiters.setMaxListeners(0);
  }

  /** Serialises state changes of one container. */
  locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return next;
  }

  private save(c: ContainerRecord): void {
    this.svc.store.save(c);
  }

  async start(ref: string): Promise<void> {
    const c = this.svc.find(ref);
    await this.locked(c.id, async () => {
      if (c.state.Paused) throw new Conflict('cannot start a paused container, try unpause instead');
      if (c.state.Running && !c.state.Restarting) throw new NotModified('container already started');
      if (c.state.Status === 'removing' || c.state.Dead)
        throw new Conflict('container is marked for removal and cannot be started');
      this.cancelPendingRestart(c);
      c.manuallyStopped = false;
      try {
        await this.run(c);
      } catch (e) {
        // dockerd removes an AutoRemove container whose start failed (`docker run --rm` waits for it).
        if (c.hostConfig.AutoRemove) await this.svc.destroy(c).catch(() => undefined);
        throw e;
      }
    });
  }

  /** Mounts the rootfs, creates and starts the process; on failure records Docker's exit code. */
  private async run(c: ContainerRecord): Promise<void> {
    const p = this.svc.paths(c.id);
    const rt = this.svc.runtime;
    const t = new Phases(this.svc.deps.log, 'container start', { id: c.id.slice(0, 12) });
    try {
      // Independent steps side by side: each mostly waits on a child process (mount, runc, ip).
      // Network namespace, interfaces and published ports before the process exists.
      const networked = this.svc.networking?.setup(c) ?? Promise.resolve(null);
      await settleAll([
        this.mountRootfs(c).then(() => this.svc.mountPlanner?.prepare(c, p.merged)),
        rt.delete(c.id).catch(() => undefined), // state left by an earlier run
        networked,
      ]);
      const net = await networked;
      t.mark('rootfs+net');
      writeEtcFiles(p, { ...this.svc.etcInput(c), ...(net?.ip ? { ip: net.ip } : {}), ...(net?.dns ? { dns: net.dns } : {}) });
      const spec = this.runSpec(c);
      if (net) spec.netns = net.netns;
      const { pid } = await rt.create(spec);
      t.mark('create');
      for (const hook of this.hooks.beforeStart.get(c.id) ?? []) await hook.connect(c).catch(() => hook.abort());
      this.hooks.beforeStart.delete(c.id);
      t.mark('attach');
      await rt.start(c.id);
      t.mark('start');
      const s = c.state;
      Object.assign(s, {
        Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: pid, ExitCode: 0, Error: '', StartedAt: nowNano(),
      });
      c.hasBeenStarted = true;
      this.save(c);
      t.mark('save');
      t.done();
    } catch (err) {
      for (const hook of this.hooks.beforeStart.get(c.id) ?? []) hook.abort();
      this.hooks.beforeStart.delete(c.id);
      await rt.delete(c.id).catch(() => undefined);
      await this.svc.networking?.teardown(c).catch(() => undefined);
      await this.unmountRootfs(c);
      throw this.recordStartError(c, err);
    }
    this.svc.publish(c, 'start');
    this.armExit(c);
    for (const f of this.hooks.onStarted) f(c);
  }

  private recordStartError(c: ContainerRecord, err: unknown): Error {
    const raw = (err as Error).message ?? String(err);
    // Network set-up errors reach the user as dockerd words them ("driver failed programming …").
    const msg = /^(failed to create task|driver failed programming)/.test(raw) ? raw : `failed to create task for container: ${raw}`;
    const lower = msg.toLowerCase();
    let code = 128;
    let typed: Error = new SystemError(msg);
    if (/executable file not found|no such file or directory|system cannot find the file specified/.test(lower)) {
      code = 127;
      typed = new InvalidArgument(msg);
    } else if (/permission denied|is a directory/.test(lower)) {
      code = 126;
      typed = new InvalidArgument(msg);
    } else if (/unable to find (user|group)/.test(lower)) {
      typed = new InvalidArgument(raw);
    }
    Object.assign(c.state, {
      Status: c.hasBeenStarted ? 'exited' : 'created', Running: false, Paused: false, Restarting: false,
      Pid: 0, ExitCode: code, Error: msg,
    });
    this.save(c);
    return typed;
  }

  async mountRootfs(c: ContainerRecord): Promise<void> {
    const p = this.svc.paths(c.id);
    if (isMountPoint(p.merged)) return;
    let lowers = c.topLayer ? await this.svc.deps.images.lowerDirs(c.topLayer) : [];
    if (lowers.length === 0) lowers = [ensureDir(path.join(p.dir, 'empty'), 0o755)];
    await mountOverlay(lowers, p.upper, p.work, p.merged);
  }

  async unmountRootfs(c: ContainerRecord): Promise<void> {
    await unmount(this.svc.paths(c.id).merged).catch((e) =>
      this.svc.deps.log.warn('unmount rootfs failed', { id: c.id, err: String(e) }),
    );
  }

  resources(h: HostConfig): ContainerRunSpec['resources'] {
    const num = (v: unknown): number | undefined => (typeof v === 'number' && v !== 0 ? v : undefined);
    return {
      memory: num(h.Memory),
      memorySwap: num(h.MemorySwap),
      nanoCpus: num(h.NanoCpus),
      cpuShares: num(h.CpuShares),
      cpuQuota: num(h.CpuQuota),
      cpuPeriod: num(h.CpuPeriod),
      cpusetCpus: h.CpusetCpus || undefined,
      cpusetMems: h.CpusetMems || undefined,
      pidsLimit: typeof h.PidsLimit === 'number' && h.PidsLimit > 0 ? h.PidsLimit : undefined,
      shmSize: num(h.ShmSize),
      ulimits: h.Ulimits?.length ? h.Ulimits : undefined,
    };
  }

  runSpec(c: ContainerRecord): ContainerRunSpec {
    const p = this.svc.paths(c.id);
    const h = c.hostConfig;
    const cfg = c.config;
    const mode = h.NetworkMode as string;
    let netns: ContainerRunSpec['netns'] = 'none';
    if (mode === 'host') netns = 'host';
    else if (mode.startsWith('container:')) {
      const other = this.svc.find(mode.slice('container:'.length));
      if (!other.state.Running) throw new Conflict(`cannot join network of a non running container: ${other.id}`);
      netns = { path: `/proc/${other.state.Pid}/ns/net` };
    }
    const mounts = runtimeMounts(c);
    return {
      id: c.id,
      rootfs: p.merged,
      readonlyRootfs: !!h.ReadonlyRootfs,
      args: [c.path, ...c.args],
      // The runtime adds PATH, HOSTNAME, TERM and HOME where these leave them out.
      env: cfg.Env ?? [],
      cwd: cfg.WorkingDir || '/',
      user: cfg.User,
      groupAdd: (h.GroupAdd as string[] | null) ?? undefined,
      hostname: cfg.Hostname,
      domainname: cfg.Domainname || undefined,
      tty: cfg.Tty,
      openStdin: cfg.OpenStdin,
      stdinOnce: cfg.StdinOnce,
      etcFiles: { hosts: p.hosts, resolvConf: p.resolvConf, hostname: p.hostname },
      mounts,
      capAdd: h.CapAdd ?? [],
      capDrop: h.CapDrop ?? [],
      privileged: !!h.Privileged,
      securityOpt: h.SecurityOpt ?? [],
      netns,
      ipcMode: this.namespaceMode(h.IpcMode, 'ipc'),
      pidMode: this.namespaceMode(h.PidMode, 'pid'),
      init: !!h.Init,
      stopSignal: cfg.StopSignal,
      resources: this.resources(h),
      sysctls: h.Sysctls ?? undefined,
      logPath: p.log,
      logMaxSize: h.LogConfig?.Config?.['max-size'] ? parseSize(h.LogConfig.Config['max-size']) : undefined,
    };
  }

  /** "host" stays, "container:<ref>" becomes that container's namespace path, anything else is private. */
  private namespaceMode(mode: string | undefined, ns: string): string | undefined {
    if (mode === 'host') return 'host';
    if (mode?.startsWith('container:')) {
      const other = this.svc.find(mode.slice('container:'.length));
      if (!other.state.Running) throw new Conflict(`container ${other.id} is not running`);
      return `/proc/${other.state.Pid}/ns/${ns}`;
    }
    return undefined;
  }

  /** Watches for the exit of the current run (also used to adopt containers after a daemon restart). */
  armExit(c: ContainerRecord): void {
    const run = (this.runs.get(c.id) ?? 0) + 1;
    this.runs.set(c.id, run);
    this.svc.runtime.waitExit(c.id).then(
      (exit) => {
        if (this.runs.get(c.id) === run) void this.locked(c.id, () => this.onExit(c, exit));
      },
      (err) => {
        this.svc.deps.log.error('waiting for container exit failed', { id: c.id, err: String(err) });
        if (this.runs.get(c.id) === run)
          void this.locked(c.id, () => this.onExit(c, { exitCode: 255, finishedAt: nowNano(), oomKilled: false }));
      },
    );
  }

  /** The process is gone: record it, then restart or remove as the policy says. */
  async onExit(c: ContainerRecord, exit: ExitStatus): Promise<void> {
    if (!this.svc.store.has(c.id)) return;
    this.runs.set(c.id, (this.runs.get(c.id) ?? 0) + 1);
    for (const f of this.hooks.onExited) f(c);
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
    this.save(c);
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
      this.unmountRootfs(c),
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
      void this.locked(c.id, async () => {
        if (!this.svc.store.has(c.id) || !c.state.Restarting || c.manuallyStopped) return;
        c.restartCount++;
        try {
          await this.run(c);
        } catch (e) {
          this.svc.deps.log.warn('restart failed', { id: c.id, err: String(e) });
          Object.assign(c.state, { Status: 'exited', Running: false, Restarting: false });
          this.save(c);
        }
      });
    }, delay);
    timer.unref();
    this.pendingRestart.set(c.id, timer);
  }

  private cancelPendingRestart(c: ContainerRecord): void {
    const t = this.pendingRestart.get(c.id);
    if (t) clearTimeout(t);
    this.pendingRestart.delete(c.id);
    if (c.state.Restarting && !c.state.Pid) {
      Object.assign(c.state, { Status: 'exited', Running: false, Restarting: false });
      this.save(c);
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

  async stop(ref: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const c = this.svc.find(ref);
    await this.stopRecord(c, opts);
  }

  async stopRecord(c: ContainerRecord, opts: { timeout?: number; signal?: string }): Promise<void> {
    const sig = parseSignal(opts.signal || c.config.StopSignal || 'SIGTERM');
    if (c.state.Restarting && !c.state.Pid) {
      c.manuallyStopped = true;
      this.cancelPendingRestart(c);
      this.svc.publish(c, 'stop');
      return;
    }
    if (!c.state.Running) throw new NotModified('container already stopped');
    c.manuallyStopped = true;
    this.save(c);
    const timeout = opts.timeout ?? (typeof c.config.StopTimeout === 'number' ? c.config.StopTimeout : 10);
    const exited = this.nextExit(c);
    await this.signal(c, sig.name, sig.number);
    if (c.state.Paused) await this.svc.runtime.resume(c.id).catch(() => undefined);
    const gone = timeout < 0 ? await exited.then(() => true) : await raceTimeout(exited, timeout * 1000);
    if (!gone) {
      await this.signal(c, 'SIGKILL', 9).catch(() => undefined);
      await exited;
    }
    this.svc.publish(c, 'stop');
  }

  private async signal(c: ContainerRecord, name: string, num: number): Promise<void> {
    await this.svc.runtime.kill(c.id, name);
    this.svc.publish(c, 'kill', { signal: String(num) });
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const c = this.svc.find(ref);
    const sig = parseSignal(signal || 'SIGKILL');
    if (!c.state.Running || (c.state.Restarting && !c.state.Pid))
      throw new Conflict(`cannot kill container: ${ref}: container ${c.id} is not running`);
    const exited = sig.number === 9 ? this.nextExit(c) : null;
    if (sig.number === 9 || sig.name === (c.config.StopSignal || 'SIGTERM')) {
      c.manuallyStopped = true;
      this.save(c);
    }
    await this.signal(c, sig.name, sig.number);
    if (c.state.Paused && sig.number === 9) await this.svc.runtime.resume(c.id).catch(() => undefined);
    if (exited) await raceTimeout(exited, 10_000);
  }

  /** Force removal: SIGKILL and wait for the exit to be recorded. */
  async killForRemoval(c: ContainerRecord): Promise<void> {
    c.manuallyStopped = true;
    if (c.state.Restarting && !c.state.Pid) return this.cancelPendingRestart(c);
    const exited = this.nextExit(c);
    await this.signal(c, 'SIGKILL', 9).catch(() => undefined);
    if (c.state.Paused) await this.svc.runtime.resume(c.id).catch(() => undefined);
    await raceTimeout(exited, 15_000);
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const c = this.svc.find(ref);
    if (c.state.Running) await this.stopRecord(c, opts).catch((e) => {
      if (!(e instanceof NotModified)) throw e;
    });
    await this.locked(c.id, async () => {
      this.cancelPendingRestart(c);
      c.manuallyStopped = false;
      if (!c.state.Running) await this.run(c);
    });
    this.svc.publish(c, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const c = this.svc.find(ref);
    await this.locked(c.id, async () => {
      if (!c.state.Running) throw new Conflict(`container ${c.id} is not running`);
      if (c.state.Paused) throw new Conflict(`Container ${c.id} is already paused`);
      if (c.state.Restarting) throw new Conflict(`Container ${c.id} is restarting, wait until the container is running`);
      await this.svc.runtime.pause(c.id);
      Object.assign(c.state, { Status: 'paused', Paused: true });
      this.save(c);
      this.svc.publish(c, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const c = this.svc.find(ref);
    await this.locked(c.id, async () => {
      if (!c.state.Paused) throw new Conflict(`Container ${c.id} is not paused`);
      await this.svc.runtime.resume(c.id);
      Object.assign(c.state, { Status: 'running', Paused: false });
      this.save(c);
      this.svc.publish(c, 'unpause');
    });
  }

  /** `condition`: not-running (default), next-exit, removed. Resolves with the exit code. */
  wait(c: ContainerRecord, condition: string, signal?: AbortSignal): Promise<WaitResult> {
    const cond = condition || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(cond))
      throw new InvalidArgument(`invalid condition: "${condition}"`);
    const result = (code: number): WaitResult => {
      const err = c.state.Error;
      return err ? { StatusCode: code, Error: { Message: err } } : { StatusCode: code };
    };
    if (cond === 'removed') {
      if (!this.svc.store.has(c.id)) return Promise.resolve(result(c.state.ExitCode));
      return new Promise((resolve) => {
        const onRemoved = (code: number): void => resolve(result(code));
        this.waiters.once('removed:' + c.id, onRemoved);
        signal?.addEventListener('abort', () => this.waiters.off('removed:' + c.id, onRemoved), { once: true });
      });
    }
    if (cond === 'not-running' && !c.state.Running) return Promise.resolve(result(c.state.ExitCode));
    return new Promise((resolve) => {
      const onExit = (code: number, restarting: boolean): void => {
        if (cond === 'not-running' && restarting) return;
        this.waiters.off('exit:' + c.id, onExit);
        this.waiters.off('removed:' + c.id, onRemoved);
        resolve(result(code));
      };
      const onRemoved = (code: number): void => {
        this.waiters.off('exit:' + c.id, onExit);
        resolve(result(code));
      };
      this.waiters.on('exit:' + c.id, onExit);
      this.waiters.once('removed:' + c.id, onRemoved);
      // A client that hangs up stops waiting; drop its listeners.
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters.off('exit:' + c.id, onExit);
          this.waiters.off('removed:' + c.id, onRemoved);
        },
        { once: true },
      );
    });
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    const c = this.svc.find(ref);
    if (!c.state.Running) throw new Conflict(`container ${c.id} is not running`);
    await this.svc.runtime.resize(c.id, h, w);
    this.svc.publish(c, 'resize', { height: String(h), width: String(w) });
  }

  /** Used by live restore: restart a container whose exit happened while berthd was down. */
  restartAfterDowntime(c: ContainerRecord): void {
    this.scheduleRestart(c, 0);
  }
}

/** Promise.all that lets every step finish before it rethrows, so clean-up never races a step still running. */
async function settleAll(steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function raceTimeout<T>(p: Promise<T>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function parseSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * mult);
}
