// `POST /images/{name}/push`: uploads each layer blob that the registry does
// not have (HEAD check, then a cross-repository mount when the blob is known
// in another repository of that registry, then a monolithic upload), the
// config, and a manifest per tag; prints Docker's progress and digest lines.
import { Readable } from 'node:stream';
import { NotFound } from '../api/errors.js';
import { repositoryScope, type AuthConfig } from '../distribution/auth.js';
import type { BlobSources } from '../distribution/blob-sources.js';
import type { RegistryClient } from '../distribution/client.js';
import { shortDigest, type Progress } from '../distribution/progress.js';
import { blobExists, putManifest, uploadBlob } from '../distribution/registry.js';
import { DOCKER_MANIFEST, OCI_CONFIG, OCI_MANIFEST } from '../image/archive.js';
import { sha256 } from '../image/digest.js';
import {
  familiarName,
  familiarString,
  formatReference,
  parseReference,
  repoName,
  type Reference,
} from '../image/reference.js';
import type { Layer } from '../store/layers.js';
import type { RegistryService } from './auth.js';
import type { ImageService, ImageRecord } from './images.js';
import { Limiter } from './pull-layers.js';

const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_GZIP_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const OCI_GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export class Pusher {
  private readonly limiter: Limiter;

  constructor(
    private readonly images: ImageService,
    private readonly registry: RegistryService,
    private readonly sources: BlobSources,
  ) {
    this.limiter = new Limiter(Math.max(1, registry.options.maxConcurrentUploads));
  }

  /** The local tags to push: `tag`, or every tag of the repository when none is given. */
  private tagsToPush(repo: Reference, tag: string | undefined): { ref: Reference; image: ImageRecord }[] {
    const out: { ref: Reference; image: ImageRecord }[] = [];
    if (tag) {
      const ref = { ...repo, tag };
      const id = this.images.records.refTarget(formatReference(ref));
      const image = id && this.images.records.get(id);
      if (!image) throw new NotFound(`An image does not exist locally with the tag: ${familiarName(repo)}`);
      out.push({ ref, image });
      return out;
    }
    for (const img of this.images.records.all())
      for (const r of this.images.records.refs(img.id)) {
        const ref = parseReference(r);
        if (!ref.digest && ref.tag && repoName(ref) === repoName(repo)) out.push({ ref, image: img });
      }
    if (!out.length)
      throw new NotFound(`An image does not exist locally with the tag: ${familiarName(repo)}`);
    return out.sort((a, b) => (a.ref.tag! < b.ref.tag! ? -1 : 1));
  }

  async push(
    name: string,
    tag: string | undefined,
    auth: AuthConfig | undefined,
    progress: Progress,
  ): Promise<void> {
    const parsed = parseReference(name);
    const repo: Reference = { domain: parsed.domain, path: parsed.path };
    const items = this.tagsToPush(repo, tag || parsed.tag);
    progress.status(`The push refers to repository [${repoName(repo)}]`);
    const mountable = new Set<string>();
    for (const { image } of items)
      for (const l of this.images.layers.chain(image.topLayer))
        for (const r of this.sources.repos(l.blob, repo.domain, repo.path)) mountable.add(r);
    const scopes = [
      repositoryScope(repo.path, ['pull', 'push']),
      ...[...mountable].map((r) => repositoryScope(r, ['pull'])),
    ];
    await this.registry.withEndpoint(repo.domain, auth, scopes, async (client) => {
      for (const { ref, image } of items) await this.pushTag(client, ref, image, progress);
    });
  }

  private async pushTag(
    client: RegistryClient,
    ref: Reference,
    image: ImageRecord,
    progress: Progress,
  ): Promise<void> {
    const layers = this.images.layers.chain(image.topLayer).reverse();
    for (const l of layers) progress.status('Preparing', shortDigest(l.diffId));
    const sizes = await Promise.all(layers.map((l) => this.pushLayer(client, ref, l, progress)));
    const config = Buffer.from(image.rawConfig);
    const configDigest = sha256(config);
    if (!(await blobExists(client, ref.path, configDigest)))
      await uploadBlob(client, ref.path, configDigest, config.length, () => bufferStream(config));
    const allGzip = layers.every((l) => l.mediaType === OCI_GZIP_LAYER);
    const manifest = {
      schemaVersion: 2,
      mediaType: allGzip ? DOCKER_MANIFEST : OCI_MANIFEST,
      config: { mediaType: allGzip ? DOCKER_CONFIG : OCI_CONFIG, size: config.length, digest: configDigest },
      layers: layers.map((l, i) => ({
        mediaType: allGzip ? DOCKER_GZIP_LAYER : l.mediaType,
        size: sizes[i],
        digest: l.blob,
      })),
    };
    const raw = Buffer.from(JSON.stringify(manifest, null, 3));
    const digest = await putManifest(client, ref.path, ref.tag!, manifest.mediaType, raw);
    this.images.records.setRef(`${repoName(ref)}@${digest}`, image.id);
    progress.status(`${ref.tag}: digest: ${digest} size: ${raw.length}`);
    progress.message({
      progressDetail: {},
      aux: { Tag: ref.tag, Digest: digest, Size: raw.length },
    } as never);
    this.images.events.publish('image', 'push', familiarString(ref), { name: familiarName(ref) });
  }

  /** Uploads one layer blob unless the registry has it; returns the blob size. */
  private async pushLayer(
    client: RegistryClient,
    ref: Reference,
    l: Layer,
    progress: Progress,
  ): Promise<number> {
    const id = shortDigest(l.diffId);
    if (this.limiter.busy) progress.status('Waiting', id);
    const release = await this.limiter.acquire();
    try {
      const size = await this.images.content.size(l.blob);
      if (await blobExists(client, ref.path, l.blob)) {
        progress.status('Layer already exists', id);
      } else {
        // One mount attempt from a repository known to hold the blob; a 202 turns into a normal upload.
        const from = this.sources.repos(l.blob, ref.domain, ref.path)[0];
        const how = await uploadBlob(
          client,
          ref.path,
          l.blob,
          size,
          () => this.images.content.open(l.blob).pipe(progress.meter('Pushing', id, size)),
          from,
        );
        progress.status(how === 'mounted' ? `Mounted from ${from}` : 'Pushed', id);
      }
      this.sources.record(l.blob, ref.domain, ref.path);
      return size;
    } finally {
      release();
    }
  }
}

function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
