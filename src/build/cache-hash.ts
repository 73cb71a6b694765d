// Content hashes of COPY/ADD sources for the step cache, like the legacy
// builder's tarsum: every entry's relative name, type, permission bits, link
// target and file content count; modification times and the client's owners
// do not (COPY sets owners itself, and --chown is part of the step's key).
// Each file is hashed once per build, however many steps copy it; files of
// the context were hashed while they were received (context-unpack.ts), so
// their digests are only looked up.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import type { CopySource } from './copy.js';
import { Limiter } from './stages.js';

export class ContentHasher {
  private readonly files = new Map<string, Promise<string>>();
  /** Open files at a time (the nofile limit is shared with the whole daemon). */
  private readonly reads = new Limiter(32);

  /** `known`: content digests already taken, by absolute path (the context's, as it was written). */
  constructor(private readonly known: (abs: string) => string | undefined = () => undefined) {}

  /** One digest over all sources of a step. */
  async hashSources(sources: CopySource[]): Promise<string> {
    const h = createHash('sha256');
    for (const s of sources) h.update(`${s.rel}\0${await this.entry(s.abs, s.st)}\n`);
    return h.digest('hex');
  }

  private async entry(abs: string, st: Stats): Promise<string> {
    const perm = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) return `l ${perm} ${await fs.readlink(abs)}`;
    if (st.isFile()) return `f ${perm} ${st.size} ${await this.file(abs)}`;
    if (!st.isDirectory()) return `o ${perm}`;
    const h = createHash('sha256');
    const names = (await fs.readdir(abs)).sort();
    // Files of a directory are hashed side by side (each is I/O-bound).
    const parts = await Promise.all(
      names.map(async (n) => {
        const p = path.join(abs, n);
        return `${n}\0${await this.entry(p, await fs.lstat(p))}\n`;
      }),
    );
    for (const p of parts) h.update(p);
    return `d ${perm} ${h.digest('hex')}`;
  }

  private file(abs: string): Promise<string> {
    const known = this.known(abs);
    if (known !== undefined) return Promise.resolve(known);
    let p = this.files.get(abs);
    if (!p) {
      p = this.reads.run(
        () =>
          new Promise<string>((resolve, reject) => {
            const h = createHash('sha256');
            createReadStream(abs)
              .on('data', (d) => h.update(d))
              .on('end', () => resolve(h.digest('hex')))
              .on('error', reject);
          }),
      );
      this.files.set(abs, p);
    }
    return p;
  }
}
