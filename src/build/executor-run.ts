// What a step needs from the engine: run a command in a container made from
// the step's parent image (RUN), or mount the parent's root filesystem with a
// fresh upper dir to write into (COPY/ADD/WORKDIR), then turn the upper dir
// into a layer. The mount points the runtime adds to every container
// (/dev, /proc, /sys, /etc/hosts, …) never end up in a layer, as dockerd's
// hidden init layer keeps them out of its diffs.
import { mkdtempSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { ContainerService } from '../engine/containers.js';
import type { ImageService } from '../engine/images.js';
import { readLogs } from '../runtime/logs.js';
import { mountOverlay, unmount } from '../runtime/rootfs.js';
import type { Layer } from '../store/layers.js';

export interface RunSpec {
  parentImage: string;
  cmd: string[];
  env: string[];
  workdir: string;
  user: string;
  networkMode: string;
  binds: string[];
  tmpfs: Record<string, string>;
  extraHosts: string[];
  resources: Record<string, unknown>;
}

/** Files and dirs the runtime mounts into every container: never part of a build layer. */
const RUNTIME_DIRS = ['dev', 'proc', 'sys'];
const RUNTIME_FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv'];

export class StepEngine {
  constructor(
    private readonly containers: ContainerService,
    private readonly images: ImageService,
    private readonly tmp: string,
  ) {}

  /** Creates (not starts) a container on `image`; the legacy builder's metadata steps make one too. */
  async createContainer(spec: RunSpec): Promise<string> {
    const { Id } = await this.containers.create({
      body: {
        Image: spec.parentImage,
        Cmd: spec.cmd,
        Entrypoint: [''],
        Env: spec.env,
        WorkingDir: spec.workdir,
        User: spec.user,
        HostConfig: {
          NetworkMode: spec.networkMode,
          Binds: spec.binds.length ? spec.binds : null,
          Tmpfs: Object.keys(spec.tmpfs).length ? spec.tmpfs : undefined,
          ExtraHosts: spec.extraHosts.length ? spec.extraHosts : null,
          ...spec.resources,
        },
      },
    });
    return Id;
  }

  /** Starts the container, streams its output, resolves with the exit code. */
  async run(id: string, write: (fd: 1 | 2, data: Buffer) => void, signal: AbortSignal): Promise<number> {
    if (signal.aborted) throw signal.reason ?? new Error('build cancelled');
    const kill = (): void => void this.containers.lifecycle.kill(id, 'SIGKILL').catch(() => undefined);
    signal.addEventListener('abort', kill, { once: true });
    try {
      await this.containers.lifecycle.start(id);
      // Cancelled while starting: the listener fired before there was a process to kill.
      if (signal.aborted) kill();
      const fresh = this.containers.find(id);
      const running = fresh.state.Running;
      const stopWhen = running ? this.containers.lifecycle.wait(fresh, 'not-running') : Promise.resolve();
      // Pieces of one line (conmon stores writes without a newline as partial records) go out as one message.
      const pending: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
      const flush = (stream: 'stdout' | 'stderr', last?: Buffer): void => {
        const parts = last ? [...pending[stream], last] : pending[stream];
        pending[stream] = [];
        if (parts.length) write(stream === 'stdout' ? 1 : 2, Buffer.concat(parts));
      };
      for await (const r of readLogs(this.containers.paths(id).log, {
        stdout: true,
        stderr: true,
        follow: running,
        stopWhen,
      })) {
        if (r.partial) pending[r.stream].push(r.data);
        else flush(r.stream, r.data);
      }
      flush('stdout');
      flush('stderr');
      const r = await this.containers.lifecycle.wait(this.containers.find(id), 'not-running');
      return r.StatusCode;
    } finally {
      signal.removeEventListener('abort', kill);
    }
  }

  /** The container's changes as a layer over its image's; null when it changed nothing. */
  async commitUpper(id: string, topLayer: string | null, mountTargets: string[] = []): Promise<Layer | null> {
    const upper = this.containers.paths(id).upper;
    const lowers = topLayer ? this.images.lowerDirs(topLayer) : [];
    await dropRuntimeArtifacts(upper, lowers);
    for (const t of mountTargets) await dropMountStub(upper, lowers, t);
    if ((await fs.readdir(upper)).length === 0) return null;
    return this.images.registerDiff(upper, topLayer);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.store.has(id) ? this.containers.find(id) : null;
    if (!c) return;
    if (c.state.Running) await this.containers.lifecycle.killForRemoval(c).catch(() => undefined);
    await this.containers.destroy(c, true);
  }

  /**
   * Mounts the root filesystem of `topLayer` read-write over a scratch upper
   * dir for `fn`, then makes the upper dir a layer (COPY, ADD, WORKDIR).
   */
  async withScratchRootfs<T>(
    topLayer: string | null,
    fn: (rootfs: string) => Promise<T>,
  ): Promise<{ result: T; layer: Layer | null }> {
    const m = await this.mountScratch(topLayer);
    try {
      const result = await fn(m.merged);
      await m.unmount();
      const layer = (await fs.readdir(m.upper)).length
        ? await this.images.registerDiff(m.upper, topLayer)
        : null;
      return { result, layer };
    } finally {
      await m.release();
    }
  }

  /** A view of an image's files for `COPY --from` (writes, if any, are discarded). */
  async withImageRootfs<T>(topLayer: string | null, fn: (rootfs: string) => Promise<T>): Promise<T> {
    const m = await this.mountScratch(topLayer);
    try {
      return await fn(m.merged);
    } finally {
      await m.release();
    }
  }

  private async mountScratch(
    topLayer: string | null,
  ): Promise<{ merged: string; upper: string; unmount(): Promise<void>; release(): Promise<void> }> {
    const dir = mkdtempSync(path.join(this.tmp, 'build-step-'));
    const [upper, work, merged, empty] = ['upper', 'work', 'merged', 'empty'].map((d) => path.join(dir, d));
    for (const d of [upper, work, merged, empty]) await fs.mkdir(d, { mode: 0o755 });
    let lowers = topLayer ? this.images.lowerDirs(topLayer) : [];
    if (lowers.length === 0) lowers = [empty];
    let mounted = false;
    const unmountIt = async (): Promise<void> => {
      if (mounted) await unmount(merged);
      mounted = false;
    };
    const release = async (): Promise<void> => {
      await unmountIt().catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    };
    try {
      await mountOverlay(lowers, upper, work, merged);
      mounted = true;
    } catch (e) {
      await release();
      throw e;
    }
    return { merged, upper, unmount: unmountIt, release };
  }
}

/** The empty directories the runtime made for a RUN --mount target (and its new parents) are not part of the layer. */
async function dropMountStub(upper: string, lowers: string[], target: string): Promise<void> {
  const inLowers = async (rel: string): Promise<boolean> => {
    for (const l of lowers) if (await fs.lstat(path.join(l, rel)).catch(() => null)) return true;
    return false;
  };
  for (
    let rel = path.posix.normalize(target).replace(/^\/+/, '');
    rel && rel !== '.';
    rel = path.posix.dirname(rel)
  ) {
    if (await inLowers(rel)) return;
    const p = path.join(upper, rel);
    const st = await fs.lstat(p).catch(() => null);
    if (!st) continue;
    if (!(st.isDirectory() && (await fs.readdir(p)).length === 0) && !(st.isFile() && st.size === 0)) return;
    await fs.rm(p, { recursive: false, force: true }).catch(() => fs.rmdir(p).catch(() => undefined));
  }
}

async function dropRuntimeArtifacts(upper: string, lowers: string[]): Promise<void> {
  const inLowers = async (rel: string): Promise<boolean> => {
    for (const l of lowers) if (await fs.lstat(path.join(l, rel)).catch(() => null)) return true;
    return false;
  };
  // The runtime mounts over these: whatever is written there never reaches the image.
  for (const d of RUNTIME_DIRS) await fs.rm(path.join(upper, d), { recursive: true, force: true });
  for (const f of RUNTIME_FILES) {
    const p = path.join(upper, f);
    const st = await fs.lstat(p).catch(() => null);
    if (st?.isFile() && st.size === 0 && !(await inLowers(f))) await fs.rm(p, { force: true });
  }
  // /etc copied up only to hold a mount point created above.
  const etc = path.join(upper, 'etc');
  const est = await fs.lstat(etc).catch(() => null);
  if (est?.isDirectory() && (await fs.readdir(etc)).length === 0 && (await inLowers('etc'))) {
    await fs.rmdir(etc).catch(() => undefined);
  }
}
