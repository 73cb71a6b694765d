// Which registry repositories hold each blob (the `blob_sources` table):
// written on pull and push, read on push to mount a blob from another
// repository of the same registry instead of uploading it again.
import type { DB } from '../store/db.js';

export class BlobSources {
  constructor(private readonly db: DB) {}

  record(blob: string, registry: string, repo: string): void {
    this.db
      .prepare('INSERT OR IGNORE INTO blob_sources (blob, registry, repo) VALUES (?, ?, ?)')
      .run(blob, registry, repo);
  }

  /** Repositories of `registry` known to hold `blob`, other than `exceptRepo`. */
  repos(blob: string, registry: string, exceptRepo: string): string[] {
    return (
      this.db
        .prepare('SELECT repo FROM blob_sources WHERE blob = ? AND registry = ? AND repo != ? ORDER BY repo')
        .all(blob, registry, exceptRepo) as { repo: string }[]
    ).map((r) => r.repo);
  }
}
