// Running containers: start, stop with a timeout, kill, pause, restart, wait,
// resize. The start path itself is containers-start.ts; what happens when a
// process exits (die event, restart policy with Docker's back-off, AutoRemove)
// is containers-exit.ts. State changes of one container are serialised here.
import { Conflict, InvalidArgument, NotModified } from '../api/errors.js';
import type { ContainerRunSpec, ExitStatus } from '../runtime/types.js';
import type { ContainerService } from './containers.js';
import { type ContainerRecord, type HostConfig } from './containers-model.js';
import { parseSignal } from './containers-signals.js';
import { ExitHandler } from './containers-exit.js';
import { StartPath, resourcesOf } from './containers-start.js';

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
  readonly hooks: LifecycleHooks = { beforeStart: new Map(), onStarted: [], onExited: [] };
  readonly starter: StartPath;
  readonly exits: ExitHandler;

  constructor(private readonly svc: ContainerService) {
    this.starter = new StartPath(svc, this);
    this.exits = new ExitHandler(svc, this);
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
      this.exits.cancelPendingRestart(c);
      c.manuallyStopped = false;
      try {
        await this.starter.run(c);
      } catch (e) {
        // dockerd removes an AutoRemove container whose start failed (`docker run --rm` waits for it).
        if (c.hostConfig.AutoRemove) await this.svc.destroy(c).catch(() => undefined);
        throw e;
      }
    });
  }

  // The start path (containers-start.ts) and the exit path (containers-exit.ts), as before the split.
  mountRootfs(c: ContainerRecord): Promise<void> {
    return this.starter.mountRootfs(c);
  }

  unmountRootfs(c: ContainerRecord): Promise<void> {
    return this.starter.unmountRootfs(c);
  }

  resources(h: HostConfig): ContainerRunSpec['resources'] {
    return resourcesOf(h);
  }

  runSpec(c: ContainerRecord): ContainerRunSpec {
    return this.starter.runSpec(c);
  }

  armExit(c: ContainerRecord): void {
    this.exits.arm(c);
  }

  onExit(c: ContainerRecord, exit: ExitStatus): Promise<void> {
    return this.exits.onExit(c, exit);
  }

  releaseResources(c: ContainerRecord): Promise<void> {
    return this.exits.releaseResources(c);
  }

  nextExit(c: ContainerRecord): Promise<number> {
    return this.exits.nextExit(c);
  }

  notifyRemoved(c: ContainerRecord): void {
    this.exits.notifyRemoved(c);
  }

  restartAfterDowntime(c: ContainerRecord): void {
    this.exits.restartAfterDowntime(c);
  }

  async stop(ref: string, opts: { timeout?: number; signal?: string }): Promise<void> {
    const c = this.svc.find(ref);
    await this.stopRecord(c, opts);
  }

  async stopRecord(c: ContainerRecord, opts: { timeout?: number; signal?: string }): Promise<void> {
    const sig = parseSignal(opts.signal || c.config.StopSignal || 'SIGTERM');
    if (c.state.Restarting && !c.state.Pid) {
      c.manuallyStopped = true;
      this.exits.cancelPendingRestart(c);
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
    if (c.state.Restarting && !c.state.Pid) return this.exits.cancelPendingRestart(c);
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
      this.exits.cancelPendingRestart(c);
      c.manuallyStopped = false;
      if (!c.state.Running) await this.starter.run(c);
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
        this.exits.waiters.once('removed:' + c.id, onRemoved);
        signal?.addEventListener('abort', () => this.exits.waiters.off('removed:' + c.id, onRemoved), { once: true });
      });
    }
    if (cond === 'not-running' && !c.state.Running) return Promise.resolve(result(c.state.ExitCode));
    return new Promise((resolve) => {
      const onExit = (code: number, restarting: boolean): void => {
        if (cond === 'not-running' && restarting) return;
        this.exits.waiters.off('exit:' + c.id, onExit);
        this.exits.waiters.off('removed:' + c.id, onRemoved);
        resolve(result(code));
      };
      const onRemoved = (code: number): void => {
        this.exits.waiters.off('exit:' + c.id, onExit);
        resolve(result(code));
      };
      this.exits.waiters.on('exit:' + c.id, onExit);
      this.exits.waiters.once('removed:' + c.id, onRemoved);
      // A client that hangs up stops waiting; drop its listeners.
      signal?.addEventListener(
        'abort',
        () => {
          this.exits.waiters.off('exit:' + c.id, onExit);
          this.exits.waiters.off('removed:' + c.id, onRemoved);
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
