// The layer store: one unpacked directory per chain ID under
// layers/<chain-hex>/diff, rows in the `layers` table, and the original blob
// in the content store (so `save` reproduces the exact diff_id). A layer is
// unpacked under tmp/, renamed into layers/ and only then recorded.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { chainId as computeChainId } from '../image/chain.js';
import { digestHex } from '../image/digest.js';
import { ensureDir, exists } from '../util/fsx.js';
import type { ContentStore } from './content.js';
import type { DB } from './db.js';
import { unpackLayer, type LayerSource } from './unpack.js';

export interface Layer {
  chainId: string;
  diffId: string;
  parent: string | null;
  /** Digest of the stored blob (compressed or not). */
  blob: string;
  mediaType: string;
  /** Bytes of file content in this layer alone. */
  size: number;
}

interface LayerRow {
  chain_id: string;
  diff_id: string;
  parent: string | null;
  blob: string;
  media_type: string;
  size: number;
}

const fromRow = (r: LayerRow): Layer => ({
  chainId: r.chain_id,
  diffId: r.diff_id,
  parent: r.parent,
  blob: r.blob,
  mediaType: r.media_type,
  size: r.size,
});

export class LayerStore {
  readonly root: string;
  /**
   * Layers registered by this process that no image claims yet (an import,
   * load or build in progress): orphan cleanup leaves them alone.
   */
  private readonly pending = new Set<string>();

  constructor(
    private readonly db: DB,
    dataRoot: string,
    private readonly tmp: string,
    readonly content: ContentStore,
  ) {
    this.root = ensureDir(path.join(dataRoot, 'layers'), 0o700);
  }

  get(chainId: string): Layer | undefined {
    const r = this.db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as LayerRow | undefined;
    return r && fromRow(r);
  }

  all(): Layer[] {
    return (this.db.prepare('SELECT * FROM layers').all() as LayerRow[]).map(fromRow);
  }

  /** The directory holding a layer's files (read-only lowerdir). */
  diffDir(chainId: string): string {
    return path.join(this.root, digestHex(chainId), 'diff');
  }

  /** Layers from `top` down to the base, topmost first. */
  chain(top: string | null): Layer[] {
    const out: Layer[] = [];
    for (let c = top; c;) {
      const l = this.get(c);
      if (!l) throw new Error(`layer ${c} is missing from the layer store`);
      out.push(l);
      c = l.parent;
    }
    return out;
  }

  /** Overlay `lowerdir=` entries for a container over `top`, topmost first. */
  lowerDirs(top: string | null): string[] {
    return this.chain(top).map((l) => this.diffDir(l.chainId));
  }

  /**
   * Registers a layer from a tar stream (any supported compression) on top of
   * `parent`. The same content on the same parent yields the existing layer.
   * This is the one entry point for import, load, pull, build and commit.
   * `expectedBlob` (pull) must match the digest of the bytes received.
   */
  async register(
    source: LayerSource,
    parent: string | null,
    expectedBlob?: string,
    parentReady?: Promise<unknown>,
  ): Promise<Layer> {
    // A pull unpacks layers in parallel: the parent only has to exist by commit time.
    if (parent && !parentReady && !this.get(parent)) throw new Error(`parent layer ${parent} does not exist`);
    const work = path.join(this.tmp, 'layer-' + randomBytes(8).toString('hex'));
    try {
      const res = await unpackLayer(source, path.join(work, 'diff'), this.content, expectedBlob);
      if (parentReady) {
        await parentReady;
        if (parent && !this.get(parent)) throw new Error(`parent layer ${parent} does not exist`);
      }
      const layer: Layer = {
        chainId: computeChainId(parent, res.diffId),
        diffId: res.diffId,
        parent,
        blob: res.blob.digest,
        mediaType: res.mediaType,
        size: res.size,
      };
      this.pending.add(layer.chainId);
      // One commit per chain ID at a time: a concurrent register of the same
      // content must not see the directory before its row (or remove it).
      return await this.serialize(layer.chainId, async () => {
        const existing = this.get(layer.chainId);
        if (existing) {
          // Same content arrived in another compression: keep only the blob in use.
          if (
            existing.blob !== layer.blob &&
            !this.db.prepare('SELECT 1 FROM layers WHERE blob = ? LIMIT 1').get(layer.blob)
          )
            await this.content.delete(layer.blob);
          return existing;
        }
        const final = path.join(this.root, digestHex(layer.chainId));
        if (await exists(final)) await this.discard(final); // left by a crash before the row was written
        await fs.rename(work, final);
        this.db
          .prepare(
            'INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, blob, media_type, size) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(layer.chainId, layer.diffId, layer.parent, layer.blob, layer.mediaType, layer.size);
        return layer;
      });
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }

  private readonly locks = new Map<string, Promise<unknown>>();

  private async serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  /** An image now holds these layers (or the caller gave up on them). */
  settle(chainIds: Iterable<string>): void {
    for (const c of chainIds) this.pending.delete(c);
  }

  /** True when an image or another layer still builds on `chainId`. */
  private inUse(chainId: string): boolean {
    return !!(
      this.db.prepare('SELECT 1 FROM images WHERE top_layer = ? LIMIT 1').get(chainId) ||
      this.db.prepare('SELECT 1 FROM layers WHERE parent = ? LIMIT 1').get(chainId)
    );
  }

  /**
   * Deletes `top` and then each parent that nothing references any more.
   * Returns the chain IDs removed. Extra `held` layers (e.g. used by
   * containers) are never removed.
   */
  async release(top: string | null, held: (chainId: string) => boolean = () => false): Promise<string[]> {
    const removed: string[] = [];
    for (let c = top; c;) {
      const l = this.get(c);
      if (!l || this.inUse(c) || held(c) || this.pending.has(c)) break;
      const dir = path.join(this.root, digestHex(c));
      const trash = path.join(this.tmp, 'rm-' + randomBytes(8).toString('hex'));
      await fs.rename(dir, trash).catch(() => undefined);
      this.db.prepare('DELETE FROM layers WHERE chain_id = ?').run(c);
      if (!this.db.prepare('SELECT 1 FROM layers WHERE blob = ? LIMIT 1').get(l.blob))
        await this.content.delete(l.blob);
      await this.discard(trash);
      removed.push(c);
      c = l.parent;
    }
    return removed;
  }

  private async discard(dir: string): Promise<void> {
    await fs.rm(dir, { recursive: true, force: true });
  }

  /**
   * Start-up reconciliation: directories without a row (a crash between
   * rename and insert) are removed, then orphan layers.
   */
  async reconcile(held: (chainId: string) => boolean = () => false): Promise<void> {
    const rows = new Set(
      (this.db.prepare('SELECT chain_id FROM layers').all() as { chain_id: string }[]).map((r) => r.chain_id),
    );
    for (const name of await fs.readdir(this.root)) {
      if (!rows.has('sha256:' + name)) await this.discard(path.join(this.root, name));
    }
    await this.releaseOrphans(held);
  }

  /**
   * Removes layers no image builds on (a crash between the layers and the
   * image row, a container removed after its image was force-deleted),
   * except those `held` by containers or pending in this process.
   */
  async releaseOrphans(held: (chainId: string) => boolean = () => false): Promise<string[]> {
    const leaves = this.db
      .prepare(
        'SELECT chain_id FROM layers l WHERE NOT EXISTS (SELECT 1 FROM layers c WHERE c.parent = l.chain_id) AND NOT EXISTS (SELECT 1 FROM images i WHERE i.top_layer = l.chain_id)',
      )
      .all() as { chain_id: string }[];
    const removed: string[] = [];
    const keep = (c: string): boolean => held(c) || this.pending.has(c);
    for (const { chain_id } of leaves) removed.push(...(await this.release(chain_id, keep)));
    return removed;
  }
}
