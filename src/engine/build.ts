// The build service behind `POST /build`, `/build/prune` and `/build/cancel`:
// unpack the context, parse the Dockerfile, run the executor, tag the
// result, and always remove the temp context — on success, failure or a
// client that hangs up (which cancels the build).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgument, NotImplemented } from '../api/errors.js';
import { BuildCache, type CacheRecord } from '../build/cache.js';
import { extractContext } from '../build/context-extract.js';
import { parseDockerfile } from '../build/dockerfile.js';
import { contextFilesToDrop } from '../build/dockerignore.js';
import { BuildOutput, type Message } from '../build/executor-output.js';
import { Executor, type BuildRequest } from '../build/executor.js';
import type { AuthConfig } from '../distribution/auth.js';
import { Progress } from '../distribution/progress.js';
import { formatReference, parseReference, familiar, withDefaultTag } from '../image/reference.js';
import type { DB } from '../store/db.js';
import { ensureDir } from '../util/fsx.js';
import type { ContainerService } from './containers.js';
import type { ImageService } from './images.js';
import type { Puller } from './pull.js';

export interface BuildParams extends Omit<BuildRequest, 'contextDir' | 'context' | 'dockerfile'> {
  dockerfileName?: string;
  quiet: boolean;
  remote?: string;
  version?: string;
  buildId?: string;
  auths: Record<string, AuthConfig>;
}

export interface BuildServiceDeps {
  db: DB;
  images: ImageService;
  containers: ContainerService;
  puller: Puller | null;
  tmp: string;
  dataRoot: string;
}

export class BuildService {
  readonly cache: BuildCache;
  private readonly running = new Map<string, AbortController>();
  private readonly cacheMounts: string;

  constructor(private readonly deps: BuildServiceDeps) {
    this.cache = new BuildCache(deps.db);
    this.cacheMounts = path.join(deps.dataRoot, 'build-cache-mounts');
  }

  /** Checks what can be refused with a plain HTTP error before the stream starts. */
  check(p: BuildParams): void {
    if (p.version === '2')
      throw new InvalidArgument(
        'BuildKit is not supported by this daemon; use the legacy builder (DOCKER_BUILDKIT=0)',
      );
    if (p.version && p.version !== '1') throw new InvalidArgument(`invalid version "${p.version}"`);
    if (p.remote)
      throw new InvalidArgument(
        `error downloading remote context ${p.remote}: remote build contexts are not supported by this daemon (offline); send the context as the request body`,
      );
    for (const t of p.tags) {
      let ref;
      try {
        ref = parseReference(t);
      } catch {
        throw new InvalidArgument(`invalid tag "${t}": invalid reference format`);
      }
      if (ref.digest)
        throw new InvalidArgument(`invalid tag "${t}": refusing to create a tag with a digest reference`);
    }
    if (p.platform && !p.platform.startsWith('linux'))
      throw new InvalidArgument(`"${p.platform}": unsupported platform`);
  }

  /**
   * Runs a build; `send` writes one stream message. Errors after the stream
   * started are sent as `error` messages by the caller. Returns the image ID.
   */
  async build(
    body: Readable,
    p: BuildParams,
    send: (m: Message) => void,
    signal: AbortSignal,
  ): Promise<string> {
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (p.buildId) this.running.set(p.buildId, abort);
    const ctx = await extractContext(body, this.deps.tmp, abort.signal);
    try {
      const df = await ctx.dockerfile(p.dockerfileName);
      const dockerfile = parseDockerfile(df.text);
      // As dockerd does: .dockerignore and the Dockerfile leave the context when .dockerignore lists them.
      const ignore = await ctx.readText('.dockerignore');
      for (const rel of contextFilesToDrop(ignore, df.rel)) await ctx.drop(rel);
      const multi = dockerfile.stages.length > 1;
      const out = new BuildOutput(send, p.quiet, multi);
      const executor = new Executor(
        {
          images: this.deps.images,
          containers: this.deps.containers,
          cache: this.cache,
          pull: (ref, write, sig) => this.pull(ref, p.auths, write, sig),
          tag: (id, ref) => this.deps.images.records.setRef(ref, id),
          tmp: this.deps.tmp,
          cacheMounts: ensureDir(this.cacheMounts, 0o700),
          concurrency: 2,
        },
        { ...p, contextDir: ctx.dir, context: ctx, dockerfile },
        out,
      );
      const { imageId } = await executor.run(abort.signal);
      const tagged: string[] = [];
      for (const t of p.tags) {
        const stored = formatReference(withDefaultTag(parseReference(t)));
        this.deps.images.records.setRef(stored, imageId);
        this.deps.images.publish(imageId, 'tag', familiar(stored));
        tagged.push(familiar(stored));
      }
      out.finish(imageId, tagged);
      return imageId;
    } finally {
      this.cache.flushUsed();
      signal.removeEventListener('abort', onAbort);
      if (p.buildId) this.running.delete(p.buildId);
      await ctx.remove();
    }
  }

  private async pull(
    ref: string,
    auths: Record<string, AuthConfig>,
    write: (m: Message) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (!this.deps.puller) throw new NotImplemented('pulling images is not supported by this berthd');
    const parsed = withDefaultTag(parseReference(ref));
    const auth =
      auths[parsed.domain] ??
      auths[`https://${parsed.domain}`] ??
      (parsed.domain === 'docker.io' ? auths['https://index.docker.io/v1/'] : undefined);
    if (signal.aborted) throw signal.reason;
    await this.deps.puller.pull(parsed, { auth }, new Progress((m) => write(m as Message)));
  }

  /** `POST /build/cancel?id=`. */
  cancel(id: string): void {
    this.running.get(id)?.abort(new Error('build cancelled'));
  }

  /** `POST /build/prune`: drops cache records (all, or those unused for `until`) and the untagged images only they kept. */
  async prune(opts: {
    all: boolean;
    keepStorage: number;
    until?: number;
  }): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    const cutoff = opts.until !== undefined ? Date.now() - opts.until : Infinity;
    const gone = this.cache.remove((r) => r.lastUsed < cutoff);
    // RUN --mount=type=cache directories are build cache too (BuildKit's prune drops them).
    if (opts.until === undefined) await fs.rm(this.cacheMounts, { recursive: true, force: true });
    const deleted: string[] = [];
    let space = 0;
    for (const r of gone) {
      deleted.push(cacheId(r));
      space += await this.releaseImage(r.imageId);
    }
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
  }

  /** Removes an intermediate image (and its untagged parents) when nothing else needs it. */
  private async releaseImage(id: string): Promise<number> {
    let freed = 0;
    const images = this.deps.images;
    for (let cur: string | null = id; cur;) {
      const rec = images.records.get(cur);
      if (!rec) break;
      if (images.records.refs(cur).length > 0 || images.records.children(cur).length > 0) break;
      if (images.isImageInUse(cur)) break;
      if (this.cache.all().some((r) => r.imageId === cur)) break;
      const parent: string | null = rec.parent;
      images.records.delete(cur);
      freed += rec.size - (parent ? (images.records.get(parent)?.size ?? 0) : 0);
      cur = parent;
    }
    await images.releaseUnusedLayers().catch(() => []);
    return Math.max(0, freed);
  }

  /** `GET /system/df` BuildCache entries. */
  usage(): Record<string, unknown>[] {
    return this.cache.all().map((r) => {
      const rec = this.deps.images.records.get(r.imageId);
      const parentSize = rec?.parent ? (this.deps.images.records.get(rec.parent)?.size ?? 0) : 0;
      return {
        ID: cacheId(r),
        Parents: r.parent ? [cacheIdOfImage(r.parent)] : null,
        Type: 'regular',
        Description: `build step on ${r.parent ? r.parent.slice(7, 19) : 'scratch'}`,
        InUse: false,
        Shared: false,
        Size: Math.max(0, (rec?.size ?? 0) - parentSize),
        CreatedAt: new Date(r.created).toISOString(),
        LastUsedAt: new Date(r.lastUsed).toISOString(),
        UsageCount: 1,
      };
    });
  }

  /** Cache records that point at `imageId` are forgotten when the image is deleted. */
  forgetImage(imageId: string): void {
    this.cache.forgetImage(imageId);
  }
}

function cacheId(r: CacheRecord): string {
  return r.key.slice(0, 25);
}

function cacheIdOfImage(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 25);
}
