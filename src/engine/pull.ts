// `POST /images/create?fromImage=`: resolves a reference on its registry,
// picks the platform from an index, fetches the config and the layers
// (engine/pull-layers.ts) and records the image with its tag and repo digest
// in one transaction, writing Docker's progress messages on the way.
import { InvalidArgument, NotFound } from '../api/errors.js';
import type { AuthConfig } from '../distribution/auth.js';
import { repositoryScope } from '../distribution/auth.js';
import { RegistryError, type RegistryClient } from '../distribution/client.js';
import { formatPlatform, hostPlatform, pickManifest, type Platform } from '../distribution/platform.js';
import type { Progress } from '../distribution/progress.js';
import { getBlob, getManifest, listTags } from '../distribution/registry.js';
import type { Index, Manifest } from '../image/archive.js';
import type { ImageConfig } from '../image/config.js';
import {
  familiarName,
  familiarString,
  formatReference,
  repoName,
  type Reference,
} from '../image/reference.js';
import type { RegistryService } from './auth.js';
import type { ImageService } from './images.js';
import { LayerFetcher, Limiter, type LayerJob } from './pull-layers.js';
import type { BlobSources } from '../distribution/blob-sources.js';

export interface PullOptions {
  platform?: Platform;
  auth?: AuthConfig;
}

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

export class Puller {
  private readonly fetcher: LayerFetcher;
  private readonly limiter: Limiter;

  constructor(
    private readonly images: ImageService,
    private readonly registry: RegistryService,
    private readonly sources: BlobSources,
  ) {
    this.fetcher = new LayerFetcher(images);
    this.limiter = new Limiter(Math.max(1, registry.options.maxConcurrentDownloads));
  }

  /** Pulls one reference (tag or digest); writes Digest/Status lines. Returns the image ID. */
  async pull(ref: Reference, opts: PullOptions, progress: Progress): Promise<string> {
    const { id, changed, digest } = await this.pullOne(ref, opts, progress);
    progress.status(`Digest: ${digest}`);
    progress.status(
      changed
        ? `Status: Downloaded newer image for ${familiarString(ref)}`
        : `Status: Image is up to date for ${familiarString(ref)}`,
    );
    return id;
  }

  /** `--all-tags`: every tag of the repository. */
  async pullAllTags(repo: Reference, opts: PullOptions, progress: Progress): Promise<void> {
    const tags = await this.registry
      .withEndpoint(repo.domain, opts.auth, [repositoryScope(repo.path, ['pull'])], (c) =>
        listTags(c, repo.path),
      )
      .catch((e: unknown) => {
        throw translate(e, repo);
      });
    let changed = false;
    for (const tag of tags) {
      const r = await this.pullOne({ ...repo, tag }, opts, progress);
      progress.status(`Digest: ${r.digest}`);
      changed ||= r.changed;
    }
    const name = familiarName(repo);
    progress.status(
      changed ? `Status: Downloaded newer image for ${name}` : `Status: Image is up to date for ${name}`,
    );
  }

  private async pullOne(
    ref: Reference,
    opts: PullOptions,
    progress: Progress,
  ): Promise<{ id: string; changed: boolean; digest: string }> {
    const scopes = [repositoryScope(ref.path, ['pull'])];
    try {
      return await this.registry.withEndpoint(ref.domain, opts.auth, scopes, (client) =>
        this.fromClient(client, ref, opts, progress),
      );
    } catch (e) {
      throw translate(e, ref);
    }
  }

  private async fromClient(
    client: RegistryClient,
    ref: Reference,
    opts: PullOptions,
    progress: Progress,
  ): Promise<{ id: string; changed: boolean; digest: string }> {
    const want = opts.platform ?? hostPlatform();
    const top = await getManifest(client, ref.path, ref.digest ?? ref.tag ?? 'latest');
    progress.status(`Pulling from ${ref.path}`, ref.digest ?? ref.tag);
    let manifestRaw = top.raw;
    if (INDEX_TYPES.has(top.mediaType)) {
      const index = JSON.parse(top.raw.toString('utf8')) as Index;
      const chosen = pickManifest(index.manifests ?? [], want);
      if (!chosen)
        throw new NotFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
      manifestRaw = (await getManifest(client, ref.path, chosen.digest)).raw;
    }
    const manifest = JSON.parse(manifestRaw.toString('utf8')) as Manifest;
    if (!manifest.config?.digest || !Array.isArray(manifest.layers))
      throw new InvalidArgument(`invalid manifest for ${familiarString(ref)}`);
    const rawConfig = (await getBlob(client, ref.path, manifest.config.digest)).toString('utf8');
    const config = JSON.parse(rawConfig) as ImageConfig;
    if (
      opts.platform &&
      !INDEX_TYPES.has(top.mediaType) &&
      config.architecture &&
      config.architecture !== want.architecture
    )
      throw new InvalidArgument(
        `image with reference ${familiarString(ref)} was found but its platform (${config.os ?? 'linux'}/${config.architecture}) does not match the specified platform (${formatPlatform(want)})`,
      );
    const layers = manifest.layers.filter((l) => !/foreign|nondistributable/.test(l.mediaType));
    const job: LayerJob = {
      client,
      repo: ref.path,
      layers,
      diffIds: config.rootfs?.diff_ids ?? [],
      progress,
      limiter: this.limiter,
      registered: new Set(),
    };
    try {
      let chain: string | null;
      try {
        chain = await this.fetcher.fetchAll(job);
      } catch (e) {
        this.fetcher.release(job);
        job.registered.clear();
        // Nothing half-pulled stays behind (layers a finished image or another pull uses are kept).
        await this.images.releaseUnusedLayers().catch(() => undefined);
        throw e;
      }
      const refs = [`${repoName(ref)}@${top.digest}`];
      if (ref.tag && !ref.digest) refs.unshift(formatReference(ref));
      const before = this.images.records.refTarget(refs[0]);
      const id = this.images.createImage(rawConfig, chain, refs);
      for (const l of layers) this.sources.record(l.digest, ref.domain, ref.path);
      this.images.events.publish('image', 'pull', familiarString(ref), { name: familiarName(ref) });
      return { id, changed: before !== id || job.registered.size > 0, digest: top.digest };
    } finally {
      this.fetcher.release(job);
    }
  }
}

/** Docker's pull error texts for registry answers. */
export function translate(e: unknown, ref: Reference): unknown {
  if (!(e instanceof RegistryError)) return e;
  if (e.codes.includes('MANIFEST_UNKNOWN') || (e.status === 404 && e.codes.includes('NOT_FOUND')))
    return new NotFound(`manifest for ${familiarString(ref)} not found: ${e.message}`);
  if (
    e.codes.some((c) => ['NAME_UNKNOWN', 'UNAUTHORIZED', 'DENIED'].includes(c)) &&
    !/^[A-Z][a-z]+ "/.test(e.message)
  )
    return new NotFound(
      `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${e.message}`,
    );
  return e;
}
