// The builder's step cache (SQLite table build_cache, migration 7): a step
// on parent image P with cache key K made image I. A hit needs I to still
// exist; `--cache-from` images add their own parent chain as candidates.
// Prune drops records and hands back the images they pinned.
import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { DB } from '../store/db.js';

export interface CacheRecord {
  parent: string;
  key: string;
  imageId: string;
  created: number;
  lastUsed: number;
}

/** A stable digest of the parts of a step that decide whether its result can be reused. */
export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export class BuildCache {
  private readonly find: Statement;
  private readonly drop: Statement;
  private readonly touch: Statement;
  /** Hits whose last_used is written in one transaction at the end of the build (flushUsed). */
  private readonly used = new Map<string, [string, string, number]>();

  constructor(private readonly db: DB) {
    this.find = db.prepare('SELECT image_id AS imageId FROM build_cache WHERE parent = ? AND key = ?');
    this.drop = db.prepare('DELETE FROM build_cache WHERE parent = ? AND key = ?');
    this.touch = db.prepare('UPDATE build_cache SET last_used = ? WHERE parent = ? AND key = ?');
  }

  lookup(parent: string, key: string, exists: (imageId: string) => boolean): string | null {
    const row = this.find.get(parent, key) as { imageId: string } | undefined;
    if (!row) return null;
    if (!exists(row.imageId)) {
      this.drop.run(parent, key);
      return null;
    }
    this.used.set(`${parent}\0${key}`, [parent, key, Date.now()]);
    return row.imageId;
  }

  /** Writes the last-use times of the hits so far (prune's `until` and `system df` read them). */
  flushUsed(): void {
    if (!this.used.size) return;
    const rows = [...this.used.values()];
    this.used.clear();
    this.db.transaction(() => {
      for (const [parent, key, at] of rows) this.touch.run(at, parent, key);
    })();
  }

  record(parent: string, key: string, imageId: string): void {
    const now = Date.now();
    this.db
      .prepare(
        'INSERT INTO build_cache (parent, key, image_id, created, last_used) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT(parent, key) DO UPDATE SET image_id = excluded.image_id, last_used = excluded.last_used',
      )
      .run(parent, key, imageId, now, now);
  }

  all(): CacheRecord[] {
    this.flushUsed();
    return this.db
      .prepare(
        'SELECT parent, key, image_id AS imageId, created, last_used AS lastUsed FROM build_cache ORDER BY created',
      )
      .all() as CacheRecord[];
  }

  /** Removes the records `pick` selects (all when absent); returns them. */
  remove(pick?: (r: CacheRecord) => boolean): CacheRecord[] {
    const gone = this.all().filter((r) => !pick || pick(r));
    const del = this.db.prepare('DELETE FROM build_cache WHERE parent = ? AND key = ?');
    this.db.transaction(() => {
      for (const r of gone) del.run(r.parent, r.key);
    })();
    return gone;
  }

  /** Records whose image is gone are worthless. */
  forgetImage(imageId: string): void {
    this.db.prepare('DELETE FROM build_cache WHERE image_id = ?').run(imageId);
  }
}
