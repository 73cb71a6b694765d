// The container service: create, look up, list, inspect, rename, update,
// remove and prune. Starting, stopping and exits live in
// containers-lifecycle.ts; health checks, attach/logs and stats in their own
// files. All state changes go through `ContainerStore` (one transaction each).
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Hijacked } from '../api/context.js';
import { Conflict, InvalidArgument, NotFound } from '../api/errors.js';
import type { Filters } from '../api/query.js';
import type { Runtime } from '../runtime/types.js';
import { resolveUser } from '../runtime/user.js';
import type { DB } from '../store/db.js';
import { ensureDir } from '../util/fsx.js';
import type { Logger } from '../util/log.js';
import type { EventBus } from './events.js';
import { selectContainers } from './containers-filters.js';
import {
  completeHostConfig,
  imageRunConfig,
  initialState,
  mergeImageConfig,
  nowNano,
  validateRestartPolicy,
  type Config,
  type ContainerRecord,
} from './containers-model.js';
import { generateName, newContainerId, normaliseName } from './containers-names.js';
import { ContainerStore } from './containers-store.js';
import { inspectJson, summaryJson, type ContainerPaths } from './containers-view.js';
import { writeEtcFiles, type EtcInput } from './containers-etc.js';
import { Lifecycle } from './containers-lifecycle.js';
import { LogRotation, mergeDaemonLogOpts } from './containers-logrotate.js';
import type { Attachments } from './networks-attach.js';
import type { ContainerMounts } from './volumes-mounts.js';

export interface ResolvedImage {
  id: string;
  config: unknown;
  topLayer: string | null;
}

/** What the container service needs from the image store. */
export interface ImageSource {
  resolve(nameOrId: string): ResolvedImage | Promise<ResolvedImage>;
  /** Overlay lower dirs for a layer chain, topmost first. */
  lowerDirs(chainId: string): string[] | Promise<string[]>;
}

export interface ContainerDeps {
  db: DB;
  events: EventBus;
  runtime: Runtime;
  images: ImageSource;
  log: Logger;
  dataRoot: string;
  execRoot: string;
  cgroupVersion: '1' | '2';
  arch: string;
  /** daemon.json `log-opts` (read at each create, so a reload applies to new containers). */
  logOpts?: () => Record<string, string>;
}

export interface CreateRequest {
  name?: string;
  platform?: string;
  body: Partial<Config> & { HostConfig?: Record<string, any>; NetworkingConfig?: Record<string, any> };
}

export class ContainerService {
  readonly store: ContainerStore;
  readonly lifecycle: Lifecycle;
  /** Keeps `--log-opt max-file` generations (conmon itself only truncates). */
  readonly logRotation: LogRotation;
  readonly root: string;
  /** Exec session IDs per container (the exec service fills it). */
  readonly execIds = new Map<string, Set<string>>();
  /** Volumes and binds of containers (the daemon wires the volume service in). */
  mountPlanner?: ContainerMounts;
  /** Networks of containers: namespace, endpoints, ports (the daemon wires engine/networks-attach.ts in). */
  networking?: Attachments;
  /** Hijacked attach/exec connections: the HTTP server does not track them, so shutdown ends them here. */
  private readonly hijacked = new Set<Hijacked>();

  constructor(readonly deps: ContainerDeps) {
    this.store = new ContainerStore(deps.db);
    this.root = ensureDir(path.join(deps.dataRoot, 'containers'), 0o710);
    this.lifecycle = new Lifecycle(this);
    this.logRotation = new LogRotation(this);
  }

  get runtime(): Runtime {
    return this.deps.runtime;
  }

  paths(id: string): ContainerPaths {
    const dir = path.join(this.root, id);
    return {
      dir,
      upper: path.join(dir, 'upper'),
      work: path.join(dir, 'work'),
      merged: path.join(dir, 'merged'),
      hosts: path.join(dir, 'hosts'),
      resolvConf: path.join(dir, 'resolv.conf'),
      hostname: path.join(dir, 'hostname'),
      log: path.join(dir, 'container.log'),
    };
  }

  track(conn: Hijacked): void {
    this.hijacked.add(conn);
    conn.output.once('close', () => this.hijacked.delete(conn));
  }

  /** Daemon shutdown: hang up attach/exec clients; the containers keep running (live restore). */
  closeStreams(): void {
    for (const conn of this.hijacked) conn.output.destroy();
    this.hijacked.clear();
  }

  find(ref: string): ContainerRecord {
    return this.store.find(ref);
  }

  publish(c: ContainerRecord, action: string, attrs: Record<string, string> = {}): void {
    this.deps.events.publish('container', action, c.id, {
      ...(c.config.Labels ?? {}),
      image: c.config.Image || c.imageId,
      name: c.name.slice(1),
      ...attrs,
    });
  }

  async create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    const body = req.body ?? {};
    if (!body.Image) throw new InvalidArgument('config cannot be empty in order to create a container');
    let name: string | undefined;
    if (req.name) {
      name = normaliseName(req.name);
      this.store.checkNameFree(name);
    }
    const image = await this.deps.images.resolve(body.Image);
    const { HostConfig, NetworkingConfig, ...userConfig } = body;
    const config = mergeImageConfig(userConfig, imageRunConfig(image.config));
    const hostConfig = completeHostConfig(HostConfig, this.deps.cgroupVersion);
    mergeDaemonLogOpts(hostConfig, this.deps.logOpts?.() ?? {});
    this.networking?.validate(hostConfig, NetworkingConfig ?? null);
    if (req.platform) {
      const [os] = req.platform.split('/');
      if (os !== 'linux') throw new InvalidArgument(`image with reference ${body.Image} was found but does not provide the specified platform (${req.platform})`);
    }
    const lowerDirs = image.topLayer ? await this.deps.images.lowerDirs(image.topLayer) : [];
    checkUserExists(lowerDirs, config.User, (hostConfig.GroupAdd as string[] | null) ?? []);

    const mounts = this.mountPlanner?.plan(config, hostConfig);
    const id = newContainerId();
    if (!config.Hostname) config.Hostname = hostConfig.NetworkMode === 'host' ? readHostname() : id.slice(0, 12);
    const entry = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
    const c: ContainerRecord = {
      id,
      name: name ?? this.freeGeneratedName(),
      created: nowNano(),
      path: entry[0],
      args: entry.slice(1),
      imageId: image.id,
      topLayer: image.topLayer,
      config,
      hostConfig,
      networkingConfig: NetworkingConfig ?? null,
      state: initialState(),
      restartCount: 0,
      platform: 'linux',
      manuallyStopped: false,
      hasBeenStarted: false,
      ...(mounts ? { mounts } : {}),
    };
    const p = this.paths(id);
    ensureDir(p.dir, 0o710);
    for (const d of [p.upper, p.work, p.merged]) ensureDir(d, 0o755);
    try {
      writeEtcFiles(p, this.etcInput(c));
      this.store.insert(c);
    } catch (e) {
      await fs.rm(p.dir, { recursive: true, force: true });
      throw e;
    }
    this.publish(c, 'create');
    return { Id: id, Warnings: [] };
  }

  etcInput(c: ContainerRecord): EtcInput {
    const h = c.hostConfig;
    return {
      hostname: c.config.Hostname,
      domainname: c.config.Domainname,
      networkMode: h.NetworkMode,
      extraHosts: h.ExtraHosts ?? [],
      dns: h.Dns ?? [],
      dnsSearch: h.DnsSearch ?? [],
      dnsOptions: h.DnsOptions ?? [],
    };
  }

  private freeGeneratedName(): string {
    for (let i = 0; ; i++) {
      const n = '/' + generateName(i > 5 ? i : 0);
      if (!this.store.byName(n)) return n;
    }
  }

  async inspect(ref: string): Promise<Record<string, unknown>> {
    const c = this.find(ref);
    const lowerDirs = c.topLayer ? await this.deps.images.lowerDirs(c.topLayer) : [];
    return inspectJson(c, this.paths(c.id), {
      execIds: [...(this.execIds.get(c.id) ?? [])],
      lowerDirs,
      sandboxKey: c.state.Pid ? `/proc/${c.state.Pid}/ns/net` : '',
      network: this.networking?.settings(c),
    });
  }

  async list(opts: { all: boolean; limit: number; size: boolean; filters: Filters }): Promise<Record<string, unknown>[]> {
    const ancestors = new Map<string, string[]>();
    for (const r of opts.filters.get('ancestor') ?? []) {
      try {
        ancestors.set(r, [(await this.deps.images.resolve(r)).id]);
      } catch {
        ancestors.set(r, []);
      }
    }
    const selected = selectContainers(this.store.newestFirst(), opts, {
      find: (r) => this.find(r),
      ancestorIds: (r) => ancestors.get(r) ?? [],
      networkNamesOf: (c) => [c.hostConfig.NetworkMode, ...Object.keys(c.networkingConfig?.EndpointsConfig ?? {})],
      volumeRefsOf: (c) => [
        ...((c.hostConfig.Binds ?? []) as string[]).flatMap((b) => b.split(':').slice(0, 2)),
        ...((c.hostConfig.Mounts ?? []) as { Source?: string; Target?: string }[]).flatMap((m) => [m.Source ?? '', m.Target ?? '']),
        // Docker matches a volume filter against the mount's name or its destination.
        ...(c.mounts ?? []).flatMap((m) => [m.Name ?? m.Source, m.Destination]),
      ],
    });
    const out: Record<string, unknown>[] = [];
    for (const c of selected) out.push(summaryJson(c, opts.size ? await this.sizes(c) : undefined, this.networking?.summary(c)));
    return out;
  }

  /** SizeRw (upper dir) and SizeRootFs (upper + image layers), in bytes. */
  async sizes(c: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = await duBytes(this.paths(c.id).upper);
    let image = 0;
    for (const d of c.topLayer ? await this.deps.images.lowerDirs(c.topLayer) : []) image += await duBytes(d);
    return { rw, rootFs: rw + image };
  }

  rename(ref: string, newName: string): void {
    const c = this.find(ref);
    if (!newName) throw new InvalidArgument('Neither old nor new names may be empty');
    const name = normaliseName(newName);
    if (name === c.name) throw new InvalidArgument('Renaming a container with the same name as its current name');
    this.store.checkNameFree(name, c.id);
    const old = c.name;
    c.name = name;
    this.store.save(c);
    this.publish(c, 'rename', { oldName: old });
  }

  async update(ref: string, body: Record<string, any>): Promise<{ Warnings: string[] }> {
    const c = this.find(ref);
    const h = c.hostConfig;
    if (c.state.Status === 'removing' || c.state.Dead)
      throw new Conflict(`Cannot update container ${c.id}: container is marked for removal and cannot be "update"`);
    const next = { ...h };
    if (body.RestartPolicy && body.RestartPolicy.Name !== undefined) {
      if (h.AutoRemove && body.RestartPolicy.Name !== 'no')
        throw new InvalidArgument(`Cannot update container ${c.id}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
      next.RestartPolicy = { Name: body.RestartPolicy.Name || 'no', MaximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0 };
      try {
        validateRestartPolicy(next);
      } catch (e) {
        throw new InvalidArgument(`Cannot update container ${c.id}: ${(e as Error).message}`);
      }
    }
    const resourceKeys = [
      'CpuShares', 'Memory', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'MemoryReservation',
      'MemorySwap', 'PidsLimit', 'BlkioWeight', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'KernelMemory',
    ];
    let changed = false;
    for (const k of resourceKeys)
      if (body[k] !== undefined && body[k] !== null && !(body[k] === 0 && k !== 'PidsLimit') && body[k] !== '') {
        next[k] = body[k];
        changed = true;
      }
    if (next.Memory && next.MemorySwap && next.MemorySwap > 0 && next.MemorySwap < next.Memory)
      throw new InvalidArgument(
        `Cannot update container ${c.id}: Minimum memoryswap limit should be larger than memory limit, see usage`,
      );
    if (changed && c.state.Running) {
      try {
        await this.runtime.update(c.id, this.lifecycle.resources(next));
      } catch (e) {
        throw new InvalidArgument(`Cannot update container ${c.id}: ${(e as Error).message}`);
      }
    }
    c.hostConfig = next;
    this.store.save(c);
    this.publish(c, 'update');
    return { Warnings: [] };
  }

  async remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void> {
    const c = this.find(ref);
    if (c.state.Status === 'removing') throw new Conflict(`removal of container ${c.id} is already in progress`);
    if (c.state.Running && !opts.force) {
      if (c.state.Paused)
        throw new Conflict(
          `cannot remove container "${c.name}": container is paused and must be unpaused first`,
        );
      throw new Conflict(`cannot remove container "${c.name}": container is running: stop the container before removing or force remove`);
    }
    if (c.state.Running || c.state.Restarting) await this.lifecycle.killForRemoval(c);
    await this.destroy(c, opts.volumes);
  }

  /** Removes a stopped container: runtime state, rootfs, files, record; then "destroy". `rm -v` and `--rm` also drop its anonymous volumes. */
  async destroy(c: ContainerRecord, removeVolumes = false): Promise<void> {
    if (!this.store.has(c.id)) return;
    c.state.Status = 'removing';
    this.store.save(c);
    await this.lifecycle.releaseResources(c);
    await fs.rm(this.paths(c.id).dir, { recursive: true, force: true });
    this.store.remove(c.id);
    this.execIds.delete(c.id);
    if (removeVolumes || c.hostConfig.AutoRemove) await this.mountPlanner?.release(c);
    this.publish(c, 'destroy');
    this.lifecycle.notifyRemoved(c);
  }

  async prune(filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const until = filters.get('until')?.[0];
    const untilMs = until ? parseUntil(until) : undefined;
    const labels = filters.get('label') ?? [];
    const notLabels = filters.get('label!') ?? [];
    for (const k of filters.keys())
      if (!['until', 'label', 'label!'].includes(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.store.all()) {
      if (c.state.Running || c.state.Status === 'removing') continue;
      if (untilMs !== undefined && Date.parse(c.created.replace(/(\.\d{3})\d+/, '$1')) >= untilMs) continue;
      const lbl = c.config.Labels ?? {};
      const has = (v: string): boolean => {
        const eq = v.indexOf('=');
        return eq < 0 ? v in lbl : lbl[v.slice(0, eq)] === v.slice(eq + 1);
      };
      if (!labels.every(has) || notLabels.some(has)) continue;
      const size = await duBytes(this.paths(c.id).upper);
      await this.destroy(c);
      deleted.push(c.id);
      reclaimed += size;
    }
    this.deps.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    let stopped = 0;
    for (const c of this.store.all()) {
      if (c.state.Paused) paused++;
      else if (c.state.Running) running++;
      else stopped++;
    }
    return { total: running + paused + stopped, running, paused, stopped };
  }

  isImageInUse(imageId: string): boolean {
    return this.store.usesImage(imageId);
  }
}

/** "unable to find user x" at create, so a bad `--user` leaves no container behind. */
function checkUserExists(lowerDirs: string[], user: string, groupAdd: string[]): void {
  if (!user) return;
  const withPasswd = lowerDirs.find((d) => existsSync(path.join(d, 'etc/passwd')));
  const [u, g = ''] = user.split(':');
  if (!withPasswd) {
    if (/^\d*$/.test(u) && /^\d*$/.test(g)) return;
    throw new InvalidArgument(`unable to find user ${u}: no matching entries in passwd file`);
  }
  resolveUser(withPasswd, user, groupAdd);
}

function readHostname(): string {
  try {
    return readFileSync('/etc/hostname', 'utf8').trim();
  } catch {
    return 'localhost';
  }
}

function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const m = /^(\d+)(s|m|h)$/.exec(v);
  if (m) return Date.now() - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`invalid filter 'until=${v}'`);
  return t;
}

/** Disk usage in bytes (apparent sizes of regular files), without following links. */
export async function duBytes(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += (await fs.lstat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return total;
}

export { NotFound };
