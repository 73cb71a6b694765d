// The one place berthd is assembled from its parts (containerd's builtins
// list): stores first, then services, then the API routes over them.
import { chownSync, chmodSync, promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { Router } from '../api/router.js';
import { createApiServer } from '../api/server.js';
import { registerSystemRoutes } from '../api/routes/system.js';
import { registerImageRoutes } from '../api/routes/images.js';
import { registerDistributionRoutes } from '../api/routes/distribution.js';
import { createRegistryServices } from './registry-wiring.js';
import { ImageService } from './images.js';
import { registerContainerRoutes } from '../api/routes/containers.js';
import { registerExecRoutes } from '../api/routes/exec.js';
import { ContainerService } from './containers.js';
import { Attacher } from './containers-attach.js';
import { HealthMonitor } from './containers-health.js';
import { restoreContainers } from './containers-restore.js';
import { ExecService } from './exec.js';
import { NetworkCore } from './networks.js';
import { Attachments } from './networks-attach.js';
import { registerNetworkRoutes } from '../api/routes/networks.js';
import { VolumeService } from './volumes.js';
import { ContainerMounts } from './volumes-mounts.js';
import { LocalVolumes } from '../volume/local.js';
import { registerVolumeRoutes } from '../api/routes/volumes.js';
import { registerArchiveRoutes } from '../api/routes/archive.js';
import { registerBuildRoutes } from '../api/routes/build.js';
import { registerSystemDfRoute } from '../api/routes/system-df.js';
import { BuildService } from './build.js';
import { ContainerFiles } from './archive.js';
import { ContainerChanges } from './archive-commit.js';
import { OciRuntime } from '../runtime/oci.js';
import { chooseRuntime } from '../runtime/probe.js';
import { openDatabase, type DB } from '../store/db.js';
import { lockDataRoot, type DataRootLock } from '../store/lock.js';
import { ensureDir, writeFileAtomicSync } from '../util/fsx.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../util/log.js';
import { reportNativeTo } from '../util/native.js';
import type { DaemonConfig } from './config.js';
import { EventBus } from './events.js';
import { hostFacts, type HostFacts } from './host.js';

export interface Paths {
  dataRoot: string;
  execRoot: string;
  db: string;
  tmp: string;
}

export class Daemon {
  readonly router = new Router();
  readonly events = new EventBus();
  readonly host: HostFacts = hostFacts();
  readonly startedAt = new Date();
  private servers: http.Server[] = [];

  /** A stable engine ID, kept in the data root (`docker info` ID). */
  readonly id: string;

  private constructor(
    readonly config: DaemonConfig,
    readonly log: Logger,
    readonly paths: Paths,
    readonly db: DB,
    private readonly lock: DataRootLock,
  ) {
    this.id = engineId(paths.dataRoot);
  }

  static async start(config: DaemonConfig, log: Logger): Promise<Daemon> {
    const dataRoot = ensureDir(path.resolve(config.dataRoot), 0o711);
    const execRoot = ensureDir(path.resolve(config.execRoot), 0o711);
    const lock = lockDataRoot(dataRoot);
    const paths: Paths = {
      dataRoot,
      execRoot,
      db: path.join(dataRoot, 'berth.db'),
      tmp: ensureDir(path.join(dataRoot, 'tmp'), 0o700),
    };
    // Anything in tmp/ belongs to work a previous run did not finish.
    await fs.rm(paths.tmp, { recursive: true, force: true });
    ensureDir(paths.tmp, 0o700);

    const db = openDatabase(paths.db);
    // Which path (native addon or spawned tools) each kernel operation takes, once, at debug level.
    reportNativeTo((msg, fields) => log.debug(msg, fields));
    const daemon = new Daemon(config, log, paths, db, lock);
    daemon.wire();
    await daemon.images.reconcile();
    // Networks before containers: bridges, rules and DNS back, leftovers of dead containers gone.
    await daemon.networks.init().catch((e) => log.error('network set-up failed', { err: String(e) }));
    await daemon.attachments.reconcile().catch((e) => log.error('network reconcile failed', { err: String(e) }));
    // Live restore: adopt running containers, record exits that happened while down.
    await restoreContainers(daemon.containers, daemon.health);
    await daemon.listen(config.hosts);
    log.info('API listen on ' + config.hosts.join(', '));
    return daemon;
  }

  /** Images, layers and blobs (engine/images.ts). */
  images!: ImageService;
  /** OCI runtime driver (runtime/oci.ts) and the container/exec services over it. */
  runtime!: OciRuntime;
  containers!: ContainerService;
  health!: HealthMonitor;
  exec!: ExecService;
  /** Networks (engine/networks.ts) and containers' endpoints on them (engine/networks-attach.ts). */
  networks!: NetworkCore;
  attachments!: Attachments;
  /** Volumes (engine/volumes.ts) and container filesystem operations (engine/archive.ts). */
  volumes!: VolumeService;
  /** The builder (engine/build.ts): /build, its cache and prune. */
  builds!: BuildService;

  /** Services and routes; each line adds one resource. */
  private wire(): void {
    registerSystemRoutes(this.router, this);
    this.images = new ImageService(this.db, { dataRoot: this.paths.dataRoot, tmp: this.paths.tmp }, this.events);
    this.counts.images = () => this.images.count();
    registerImageRoutes(this.router, this, this.images);
    const dist = createRegistryServices(this.config, this.db, this.images);
    registerDistributionRoutes(this.router, dist.registry, dist.puller, dist.pusher);
    this.runtime = new OciRuntime({
      execRoot: this.paths.execRoot,
      runtime: chooseRuntime(this.config.defaultRuntime, this.config.runtimes),
    });
    this.containers = new ContainerService({
      db: this.db,
      events: this.events,
      runtime: this.runtime,
      images: this.images,
      log: this.log,
      dataRoot: this.paths.dataRoot,
      execRoot: this.paths.execRoot,
      cgroupVersion: this.host.cgroupVersion,
      arch: this.host.arch,
      logOpts: () => this.config.logOpts,
    });
    this.health = new HealthMonitor(this.containers);
    this.exec = new ExecService(this.containers);
    this.networks = new NetworkCore({ db: this.db, events: this.events, config: this.config, log: this.log, engineId: this.id, dataRoot: this.paths.dataRoot });
    this.networks.containers = {
      find: (r) => this.containers.find(r),
      all: () => this.containers.store.all(),
      save: (c) => this.containers.store.save(c),
      hostsFile: (id) => this.containers.paths(id).hosts,
    };
    this.attachments = new Attachments(this.networks, this.paths.execRoot);
    this.containers.networking = this.attachments;
    registerNetworkRoutes(this.router, this.networks, this.attachments);
    this.volumes = new VolumeService(new LocalVolumes(this.db, this.paths.dataRoot), this.events);
    const mounts = new ContainerMounts(this.volumes, { find: (r) => this.containers.find(r), all: () => this.containers.store.all() });
    this.containers.mountPlanner = mounts;
    this.volumes.usedBy = (name) => mounts.usedBy(name);
    registerVolumeRoutes(this.router, this.volumes);
    registerArchiveRoutes(this.router, new ContainerFiles(this.containers), new ContainerChanges(this.containers, this.images));
    this.counts.containers = () => this.containers.counts();
    this.images.isImageInUse = (id) => {
      const c = this.containers.store.all().find((x) => x.imageId === id);
      return c ? { running: c.state.Running, containerId: c.id } : null;
    };
    this.images.heldLayers = () => this.containers.store.all().map((c) => c.topLayer);
    registerContainerRoutes(this.router, this.containers, new Attacher(this.containers));
    registerExecRoutes(this.router, this.exec, this.containers);
    this.builds = new BuildService({
      db: this.db,
      images: this.images,
      containers: this.containers,
      puller: dist.puller,
      tmp: this.paths.tmp,
      dataRoot: this.paths.dataRoot,
    });
    registerBuildRoutes(this.router, this.builds);
    registerSystemDfRoute(this.router, { images: this.images, containers: this.containers, volumes: this.volumes, builds: this.builds });
  }

  /** Counts for `/info`; services replace these as they are wired. */
  counts = {
    images: (): number => 0,
    containers: (): { total: number; running: number; paused: number; stopped: number } => ({
      total: 0,
      running: 0,
      paused: 0,
      stopped: 0,
    }),
  };

  private async listen(hosts: string[]): Promise<void> {
    for (const host of hosts) {
      const server = createApiServer(this.router, this.log);
      if (host.startsWith('unix://')) {
        const sock = host.slice('unix://'.length);
        ensureDir(path.dirname(sock), 0o711);
        await removeStaleSocket(sock);
        await listenOn(server, sock);
        chmodSync(sock, 0o660);
        const gid = groupId(this.config.group);
        if (gid !== null) chownSync(sock, 0, gid);
      } else if (host.startsWith('tcp://')) {
        const u = new URL(host.replace(/^tcp:/, 'http:'));
        await listenOn(server, Number(u.port || 2375), u.hostname.replace(/^\[|\]$/g, ''));
      } else {
        throw new Error(`invalid host ${host}: only unix:// and tcp:// are supported`);
      }
      this.servers.push(server);
    }
  }

  async stop(): Promise<void> {
    // Hijacked attach/exec connections would keep server.close() waiting; containers keep running.
    this.containers?.closeStreams();
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    await this.networks?.shutdown().catch((e) => this.log.warn('network shutdown failed', { err: String(e) }));
    this.db.close();
    this.lock.release();
  }
}

function listenOn(server: http.Server, portOrPath: number | string, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof portOrPath === 'string') server.listen(portOrPath, done);
    else server.listen(portOrPath, host, done);
  });
}

/** A socket file left by a crashed daemon is removed; a live one is an error. */
async function removeStaleSocket(sock: string): Promise<void> {
  try {
    await fs.lstat(sock);
  } catch {
    return;
  }
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(sock);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`${sock} is in use by another daemon`);
  await fs.rm(sock, { force: true });
}

function engineId(dataRoot: string): string {
  const file = path.join(dataRoot, 'engine-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomUUID();
    writeFileAtomicSync(file, id + '\n');
    return id;
  }
}

function groupId(name: string): number | null {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [n, , gid] = line.split(':');
      if (n === name) return Number(gid);
    }
  } catch {
    /* no /etc/group */
  }
  return null;
}
