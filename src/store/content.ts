// Content-addressed blob store (containerd's shape): blobs/sha256/<hex>.
// Writes go to an ingest file under tmp/ while hashing, are verified against
// the expected digest, then renamed into place, so a blob is never visible
// half-written and a crash leaves only temp files (wiped at start).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs, type ReadStream } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { digestHex } from '../image/digest.js';
import { ensureDir } from '../util/fsx.js';

export interface Ingested {
  digest: string;
  size: number;
}

export class DigestMismatch extends Error {}

export class ContentStore {
  private readonly dir: string;

  constructor(
    root: string,
    private readonly tmp: string,
  ) {
    this.dir = ensureDir(path.join(root, 'blobs', 'sha256'), 0o700);
  }

  path(digest: string): string {
    return path.join(this.dir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    return (await fs.stat(this.path(digest))).size;
  }

  open(digest: string): ReadStream {
    return createReadStream(this.path(digest));
  }

  async read(digest: string): Promise<Buffer> {
    return fs.readFile(this.path(digest));
  }

  async delete(digest: string): Promise<void> {
    await fs.rm(this.path(digest), { force: true });
  }

  /** A fresh ingest file path under tmp/. */
  ingestPath(): string {
    return path.join(this.tmp, 'ingest-' + randomBytes(8).toString('hex'));
  }

  /** Stores a whole stream; `expected` (if given) must match. */
  async ingest(source: Readable, expected?: string): Promise<Ingested> {
    const file = this.ingestPath();
    const hasher = new HashingPassThrough();
    try {
      await pipeline(source, hasher, createWriteStream(file, { mode: 0o600 }));
      return await this.commit(file, hasher.digest(), hasher.size, expected);
    } finally {
      await fs.rm(file, { force: true });
    }
  }

  async put(data: Buffer | string, expected?: string): Promise<Ingested> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const digest = 'sha256:' + createHash('sha256').update(buf).digest('hex');
    if (expected && expected !== digest)
      throw new DigestMismatch(`digest mismatch: expected ${expected}, got ${digest}`);
    if (await this.has(digest)) return { digest, size: buf.length };
    const file = this.ingestPath();
    await fs.writeFile(file, buf, { mode: 0o600 });
    return this.commit(file, digest, buf.length);
  }

  /** Moves a fully written ingest file into place under its digest. */
  async commit(file: string, digest: string, size: number, expected?: string): Promise<Ingested> {
    if (expected && expected !== digest)
      throw new DigestMismatch(`digest mismatch: expected ${expected}, got ${digest}`);
    const target = this.path(digest);
    if (await this.has(digest)) {
      await fs.rm(file, { force: true });
    } else {
      await fs.chmod(file, 0o644);
      await fs.rename(file, target);
    }
    return { digest, size };
  }

  /** All blob digests (for garbage collection). */
  async list(): Promise<string[]> {
    return (await fs.readdir(this.dir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => 'sha256:' + n);
  }
}

/** A pass-through that hashes and counts what flows through it. */
export class HashingPassThrough extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(
    chunk: Buffer,
    _enc: BufferEncoding,
    cb: (err?: Error | null, data?: Buffer) => void,
  ): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  private result?: string;
  digest(): string {
    this.result ??= 'sha256:' + this.hash.digest('hex');
    return this.result;
  }
}
