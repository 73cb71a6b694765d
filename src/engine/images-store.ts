// Image records and references in SQLite: the `images` and `image_refs`
// tables, and Docker's lookup rules (full or short ID, name, name@digest).
import { InvalidArgument, NotFound } from '../api/errors.js';
import type { ImageConfig } from '../image/config.js';
import { isHex64 } from '../image/digest.js';
import { familiarString, formatReference, parseReference, withDefaultTag } from '../image/reference.js';
import type { DB } from '../store/db.js';

export interface ImageRecord {
  id: string;
  /** Raw config JSON, byte for byte (its sha256 is the ID). */
  rawConfig: string;
  config: ImageConfig;
  topLayer: string | null;
  size: number;
  created: string;
  parent: string | null;
  loadedAt: number;
  lastTagTime: string | null;
}

interface ImageRow {
  id: string;
  config: string;
  top_layer: string | null;
  size: number;
  created: string;
  parent: string | null;
  loaded_at: number;
  last_tag_time: string | null;
}

const fromRow = (r: ImageRow): ImageRecord => ({
  id: r.id,
  rawConfig: r.config,
  config: JSON.parse(r.config) as ImageConfig,
  topLayer: r.top_layer,
  size: r.size,
  created: r.created,
  parent: r.parent,
  loadedAt: r.loaded_at,
  lastTagTime: r.last_tag_time,
});

/** The image-not-found error with Docker's wording (`No such image: busybox:latest`). */
export function noSuchImage(name: string): NotFound {
  let shown = name;
  try {
    if (!isHex64(name) && !name.startsWith('sha256:'))
      shown = familiarString(withDefaultTag(parseReference(name)));
  } catch {
    /* shown as given */
  }
  return new NotFound(`No such image: ${shown}`);
}

export class ImageRecords {
  constructor(private readonly db: DB) {}

  get(id: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return r && fromRow(r);
  }

  all(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images').all() as ImageRow[]).map(fromRow);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
  }

  /** Stored references of an image (`docker.io/library/busybox:latest`, `…@sha256:…`). */
  refs(id: string): string[] {
    return (
      this.db.prepare('SELECT ref FROM image_refs WHERE image_id = ? ORDER BY ref').all(id) as {
        ref: string;
      }[]
    ).map((r) => r.ref);
  }

  refTarget(ref: string): string | undefined {
    return (
      this.db.prepare('SELECT image_id FROM image_refs WHERE ref = ?').get(ref) as
        { image_id: string } | undefined
    )?.image_id;
  }

  children(id: string): string[] {
    return (this.db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: string }[]).map(
      (r) => r.id,
    );
  }

  /**
   * Inserts an image if new and points `refs` at it, in one transaction
   * (an image that held one of the refs before keeps its ID, dangling).
   */
  save(img: Omit<ImageRecord, 'config' | 'lastTagTime'>, refs: string[] = []): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT OR IGNORE INTO images (id, config, top_layer, size, created, parent, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(img.id, img.rawConfig, img.topLayer, img.size, img.created, img.parent, img.loadedAt);
      for (const ref of refs) this.setRef(ref, img.id);
    })();
  }

  /** Points `ref` at `id`; returns the image that held the reference before, if another. */
  setRef(ref: string, id: string): string | undefined {
    const before = this.refTarget(ref);
    this.db
      .prepare(
        'INSERT INTO image_refs (ref, image_id, is_digest) VALUES (?, ?, ?) ON CONFLICT(ref) DO UPDATE SET image_id = excluded.image_id',
      )
      .run(ref, id, ref.includes('@') ? 1 : 0);
    if (!ref.includes('@'))
      this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(new Date().toISOString(), id);
    return before && before !== id ? before : undefined;
  }

  deleteRef(ref: string): void {
    this.db.prepare('DELETE FROM image_refs WHERE ref = ?').run(ref);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }

  /** IDs starting with `prefix` (hex, `sha256:` optional). */
  byPrefix(prefix: string): string[] {
    const hex = prefix.replace(/^sha256:/, '');
    if (!/^[a-f0-9]+$/.test(hex)) return [];
    return (
      this.db
        .prepare('SELECT id FROM images WHERE id >= ? AND id < ? ORDER BY id')
        .all('sha256:' + hex, 'sha256:' + hex + 'g') as {
        id: string;
      }[]
    ).map((r) => r.id);
  }

  /**
   * Docker's lookup: a full ID, a name (normalised, default tag), a
   * name@digest, then a unique ID prefix. Returns the image and the stored
   * reference that matched (if it matched by name).
   */
  lookup(nameOrId: string): { image: ImageRecord; ref?: string } {
    const s = nameOrId.trim();
    if (/^sha256:[a-f0-9]{64}$/.test(s) || isHex64(s)) {
      const img = this.get(s.startsWith('sha256:') ? s : 'sha256:' + s);
      if (img) return { image: img };
      throw noSuchImage(s);
    }
    let ref: string | undefined;
    try {
      ref = formatReference(withDefaultTag(parseReference(s)));
    } catch (e) {
      // Not a name: maybe `sha256:<short>`.
      if (!/^sha256:[a-f0-9]+$/.test(s)) throw e instanceof InvalidArgument ? e : noSuchImage(s);
    }
    if (ref) {
      const id = this.refTarget(ref);
      if (id) {
        const img = this.get(id);
        if (img) return { image: img, ref };
      }
    }
    const matches = this.byPrefix(s);
    if (matches.length === 1) return { image: this.get(matches[0])! };
    throw noSuchImage(s);
  }
}
