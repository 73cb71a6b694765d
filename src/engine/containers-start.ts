// The start path of a container: rootfs and network side by side, the OCI
// runtime's create, attach hooks between create and start, then start; a
// failed start records Docker's exit code (127 not found, 126 not executable).
import path from 'node:path';
import { Conflict, InvalidArgument, SystemError } from '../api/errors.js';
import { hasOwnFilesystem, mountOverlay, unmount } from '../runtime/rootfs.js';
import type { ContainerRunSpec } from '../runtime/types.js';
import { ensureDir } from '../util/fsx.js';
import { Phases } from '../util/phases.js';
import type { ContainerService } from './containers.js';
import type { Lifecycle } from './containers-lifecycle.js';
import { nowNano, type ContainerRecord, type HostConfig } from './containers-model.js';
import { writeEtcFiles } from './containers-etc.js';
import { runtimeMounts } from './volumes-mounts.js';
import { logLimits } from './containers-logrotate.js';

export class StartPath {
  constructor(
    private readonly svc: ContainerService,
    private readonly lc: Lifecycle,
  ) {}

  /** Mounts the rootfs, creates and starts the process; on failure records Docker's exit code. */
  async run(c: ContainerRecord): Promise<void> {
    const p = this.svc.paths(c.id);
    const rt = this.svc.runtime;
    const t = new Phases(this.svc.deps.log, 'container start', { id: c.id.slice(0, 12) });
    let plumbed: Promise<void> | undefined;
    try {
      // Independent steps side by side: each mostly waits on a child process (mount, runc, ip).
      // Network namespace and addresses before the process exists; interfaces and port rules
      // are plumbed while the runtime creates it, and must be in place before it starts.
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
      plumbed = net?.ready;
      const created = rt.create(spec);
      await settleAll([created, plumbed]);
      const { pid } = await created;
      t.mark('create+net');
      for (const hook of this.lc.hooks.beforeStart.get(c.id) ?? []) await hook.connect(c).catch(() => hook.abort());
      this.lc.hooks.beforeStart.delete(c.id);
      t.mark('attach');
      await rt.start(c.id);
      t.mark('start');
      const s = c.state;
      Object.assign(s, {
        Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: pid, ExitCode: 0, Error: '', StartedAt: nowNano(),
      });
      c.hasBeenStarted = true;
      this.svc.store.save(c);
      t.mark('save');
      t.done();
    } catch (err) {
      for (const hook of this.lc.hooks.beforeStart.get(c.id) ?? []) hook.abort();
      this.lc.hooks.beforeStart.delete(c.id);
      await plumbed?.catch(() => undefined); // no teardown under a veth still being made
      await rt.delete(c.id).catch(() => undefined);
      await this.svc.networking?.teardown(c).catch(() => undefined);
      await this.unmountRootfs(c);
      throw this.recordStartError(c, err);
    }
    this.svc.publish(c, 'start');
    this.lc.exits.arm(c);
    for (const f of this.lc.hooks.onStarted) f(c);
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
    this.svc.store.save(c);
    return typed;
  }

  async mountRootfs(c: ContainerRecord): Promise<void> {
    const p = this.svc.paths(c.id);
    if (hasOwnFilesystem(p.merged)) return; // still mounted (a start after a crash)
    let lowers = c.topLayer ? await this.svc.deps.images.lowerDirs(c.topLayer) : [];
    if (lowers.length === 0) lowers = [ensureDir(path.join(p.dir, 'empty'), 0o755)];
    await mountOverlay(lowers, p.upper, p.work, p.merged);
  }

  async unmountRootfs(c: ContainerRecord): Promise<void> {
    await unmount(this.svc.paths(c.id).merged).catch((e) =>
      this.svc.deps.log.warn('unmount rootfs failed', { id: c.id, err: String(e) }),
    );
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
      resources: resourcesOf(h),
      sysctls: h.Sysctls ?? undefined,
      logPath: p.log,
      logMaxSize: logLimits(h).maxSize,
      logMaxFile: logLimits(h).maxFile,
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
}

export function resourcesOf(h: HostConfig): ContainerRunSpec['resources'] {
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

/** Promise.all that lets every step finish before it rethrows, so clean-up never races a step still running. */
async function settleAll(steps: (Promise<unknown> | undefined)[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
