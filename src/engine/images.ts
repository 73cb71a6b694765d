// The image service: what the API and the other services (containers,
// build, pull) ask of images. Storage is in ImageRecords (SQLite) and the
// layer/content stores; the JSON shapes are in images-view.ts, deletion
// rules in images-delete.ts, import in images-import.ts, archives in
// images-archive.ts.
import { goArch, type ContainerConfig, type ImageConfig } from '../image/config.js';
import { sha256 } from '../image/digest.js';
import { familiar, formatReference, repoTagReference } from '../image/reference.js';
import { ContentStore } from '../store/content.js';
import type { DB } from '../store/db.js';
import { LayerStore, type Layer } from '../store/layers.js';
import type { LayerSource } from '../store/unpack.js';
import { diffTar } from '../store/diff.js';
import type { EventBus } from './events.js';
import { ImageRecords, type ImageRecord } from './images-store.js';
import { InvalidArgument } from '../api/errors.js';

export type { ImageRecord } from './images-store.js';

/** Filled by the container service: which container, if any, uses an image. */
export type ImageInUse = (imageId: string) => { running: boolean; containerId: string } | null;

export interface ResolvedImage {
  id: string;
  config: ImageConfig;
  /** Chain ID of the top layer; null for an image without layers. */
  topLayer: string | null;
  /** The normalised reference that matched, when looked up by name. */
  ref?: string;
}

export interface ImagePaths {
  dataRoot: string;
  tmp: string;
}

export class ImageService {
  readonly records: ImageRecords;
  readonly content: ContentStore;
  readonly layers: LayerStore;
  /** Replaced by the container engine when it is wired. */
  isImageInUse: ImageInUse = () => null;
  /** Top layer chain IDs that containers are built on; their chains are never released. */
  heldLayers: () => Iterable<string | null> = () => [];

  constructor(
    db: DB,
    readonly paths: ImagePaths,
    readonly events: EventBus,
  ) {
    this.records = new ImageRecords(db);
    this.content = new ContentStore(paths.dataRoot, paths.tmp);
    this.layers = new LayerStore(db, paths.dataRoot, paths.tmp, this.content);
  }

  /** Start-up: drop layers no image builds on (left by a crash mid-import/load). */
  async reconcile(): Promise<void> {
    await this.layers.reconcile(this.layerHeld());
  }

  /**
   * Frees layers nothing uses any more (e.g. after the last container on a
   * force-deleted image is removed). Returns the chain IDs removed.
   */
  releaseUnusedLayers(): Promise<string[]> {
    return this.layers.releaseOrphans(this.layerHeld());
  }

  /** A predicate over chain IDs: true for every layer under a container. */
  layerHeld(): (chainId: string) => boolean {
    const held = new Set<string>();
    for (let c of this.heldLayers()) {
      // Walk rows directly: a chain with a missing link still holds what is left.
      for (; c; c = this.layers.get(c)?.parent ?? null) held.add(c);
    }
    return (c) => held.has(c);
  }

  count(): number {
    return this.records.count();
  }

  /** Looks an image up like Docker; throws NotFound `No such image: …`. */
  get(nameOrId: string): ImageRecord {
    return this.records.lookup(nameOrId).image;
  }

  /** What the container engine needs to create a container from an image. */
  resolve(nameOrId: string): ResolvedImage {
    const { image, ref } = this.records.lookup(nameOrId);
    return { id: image.id, config: image.config, topLayer: image.topLayer, ref };
  }

  /** Overlay lowerdirs (topmost first) for a top layer chain ID. */
  lowerDirs(topChainId: string | null): string[] {
    return this.layers.lowerDirs(topChainId);
  }

  /** Registers a layer from a tar stream (import, load, build, commit, pull). */
  registerLayer(
    source: LayerSource,
    parent: string | null,
    expectedBlob?: string,
    parentReady?: Promise<unknown>,
  ): Promise<Layer> {
    return this.layers.register(source, parent, expectedBlob, parentReady);
  }

  /**
   * Registers the changes in an overlay upper directory (container commit,
   * build step) as a layer over `parent`, overlay whiteouts written as OCI ones.
   */
  async registerDiff(upperDir: string, parent: string | null): Promise<Layer> {
    return this.layers.register(await diffTar(upperDir), parent);
  }

  /** Familiar tags and digests of an image. */
  repoTags(id: string): string[] {
    return this.records
      .refs(id)
      .filter((r) => !r.includes('@'))
      .map(familiar);
  }
  repoDigests(id: string): string[] {
    return this.records
      .refs(id)
      .filter((r) => r.includes('@'))
      .map(familiar);
  }

  /**
   * Stores a config over layers already registered, then points `refs`
   * (normalised) at it. One transaction, so a crash never leaves half an
   * image. Returns the image ID (the config digest).
   */
  createImage(
    rawConfig: string,
    topLayer: string | null,
    refs: string[] = [],
    parent: string | null = null,
  ): string {
    const id = sha256(rawConfig);
    const config = JSON.parse(rawConfig) as ImageConfig;
    const size = this.layers.chain(topLayer).reduce((n, l) => n + l.size, 0);
    const chain = this.layers.chain(topLayer);
    this.records.save(
      {
        id,
        rawConfig,
        topLayer,
        size,
        created: config.created ?? new Date(0).toISOString(),
        parent,
        loadedAt: Date.now(),
      },
      refs,
    );
    this.layers.settle(chain.map((l) => l.chainId));
    return id;
  }

  /** `docker tag`: `repo`/`tag` query arguments, Docker's validation. */
  tag(source: string, repo: string, tag: string | undefined): void {
    const img = this.get(source);
    const ref = repoTagReference(repo, tag, 'refusing to create a tag with a digest reference');
    if (!ref) throw new InvalidArgument('repository name must have at least one component');
    const stored = formatReference(ref);
    this.records.setRef(stored, img.id);
    this.publish(img, 'tag', familiar(stored));
  }

  /** Publishes an image event with the image's labels as attributes, like dockerd. */
  publish(img: ImageRecord | string, action: string, name?: string): void {
    const rec = typeof img === 'string' ? this.records.get(img) : img;
    const id = typeof img === 'string' ? img : img.id;
    const labels = (rec?.config.config?.Labels ?? {}) as Record<string, string>;
    this.events.publish('image', action, id, { ...labels, name: name ?? id });
  }
}

/** Config of a new single-layer image (import). */
export function importConfig(
  diffId: string,
  container: ContainerConfig,
  comment: string,
  now = new Date(),
): ImageConfig {
  const created = now.toISOString();
  return {
    architecture: goArch(),
    comment,
    config: container,
    created,
    history: [{ created, comment }],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [diffId] },
  };
}
