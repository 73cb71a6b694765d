// Writes the members of the build context's tar into a private directory
// while they stream in, and sha256es each regular file's content in the
// same pass (the step cache's content digests, so no file is read twice).
// What GNU tar (-x --no-same-owner --same-permissions) would leave is what
// lands on disk — modes, mtimes, links — with these guarantees:
//   - a name with a `..` part is skipped, leading `/` is stripped;
//   - nothing is written outside the directory: every symlink is created
//     only after all other members, and never below another symlink, so no
//     path is ever resolved through a link the archive made;
//   - a file is created with O_EXCL (an existing entry is removed first), so
//     an earlier hard link's content is never overwritten.
// The common member — a new file or directory — is not waited for: its
// writes are queued (in order per file) and run on libuv's threads while the
// next bytes are parsed and hashed, as GNU tar once wrote in a process of its
// own; anything unusual (a name seen before, a link, a device) first lets
// every queued write finish, then runs step by step.
import { execFile } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ContextTarError, type ContextMember, type MemberSink } from './context-tar.js';

const run = promisify(execFile);

/** The member's path inside the directory; null for a name that climbs out (`..`). */
export function safeMemberPath(name: string): string | null {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') return null;
    parts.push(p);
  }
  return parts.join('/');
}

const parentOf = (rel: string): string => {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
};

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

async function writeAll(fh: FileHandle, piece: Buffer, at: number): Promise<void> {
  for (let off = 0; off < piece.length; ) {
    const { bytesWritten } = await fh.write(piece, off, piece.length - off, at + off);
    off += bytesWritten;
  }
}

interface OpenFile {
  /** The handle once open (queued: data never waits for it). */
  fh: Promise<FileHandle>;
  /** Writes queued so far, in file order. */
  writes: Promise<unknown>[];
  pos: number;
  hash: Hash;
  rel: string;
  mode: number;
  mtime: number;
}

/** Bounds on queued work: file data not yet written, and files open at once (nofile is shared). */
const MAX_QUEUED_BYTES = 16 << 20;
const MAX_OPEN_FILES = 64;

export class ContextWriter implements MemberSink {
  /** sha256 (hex) of each regular file's content, by path relative to the directory. */
  readonly digests = new Map<string, string>();
  /** Directories made (or being made) as real directories, never symlinks: when each is ready. */
  private readonly dirs = new Map<string, Promise<unknown>>([['', Promise.resolve()]]);
  /** Paths some member already used (a second use takes the careful path). */
  private readonly seen = new Set<string>();
  /** Queued operations; the first failure among them fails the extraction. */
  private readonly queued = new Set<Promise<unknown>>();
  private failure: unknown = null;
  private queuedBytes = 0;
  private openFiles = 0;
  private wake: (() => void) | null = null;
  /** Modes and mtimes of directory members, applied once everything is in them. */
  private readonly dirMeta = new Map<string, { mode: number; mtime: number }>();
  /** Symlinks to make at the end, in archive order. */
  private readonly links = new Map<string, { target: string; mtime: number }>();
  private file: OpenFile | null = null;

  constructor(private readonly root: string) {}

  private abs(rel: string): string {
    return `${this.root}/${rel}`;
  }

  async begin(m: ContextMember): Promise<void> {
    const rel = safeMemberPath(m.name);
    // `..` members are skipped, as GNU tar skips them; the root itself is left as it is.
    if (rel === null || rel === '') return;
    if (this.failure) throw this.failure;
    const fresh = !this.seen.has(rel) && !this.dirs.has(rel) && !this.links.has(rel);
    this.seen.add(rel);
    if (fresh && (m.type === '0' || m.type === '7' || m.type === '5')) return this.queueNew(rel, m);
    await this.drain();
    this.links.delete(rel);
    switch (m.type) {
      case '2':
        this.links.set(rel, { target: m.linkname, mtime: m.mtime });
        return;
      case '5':
        return this.directory(rel, m);
      case '1':
        return this.hardLink(rel, m);
      case '3':
      case '4':
      case '6':
        return this.special(rel, m);
      case 'V':
      case 'N':
        return;
      case 'D':
        return this.directory(rel, m);
      default:
        // '0', '7' and types GNU tar does not know are extracted as regular files.
        return this.openFile(rel, m);
    }
  }

  async data(piece: Buffer): Promise<void> {
    const f = this.file;
    if (!f) return;
    if (this.failure) throw this.failure;
    f.hash.update(piece);
    const at = f.pos;
    f.pos += piece.length;
    this.queuedBytes += piece.length;
    const w = f.fh.then((fh) => writeAll(fh, piece, at));
    f.writes.push(w);
    this.track(w, () => (this.queuedBytes -= piece.length));
    await this.belowLimits();
  }

  async end(): Promise<void> {
    const f = this.file;
    if (!f) return;
    this.file = null;
    this.digests.set(f.rel, f.hash.digest('hex'));
    const done = Promise.all([f.fh, ...f.writes]).then(
      async ([fh]) => {
        try {
          await fh.chmod(f.mode);
          await fh.utimes(f.mtime, f.mtime);
        } finally {
          await fh.close();
        }
      },
      // A failed write still closes its file.
      async (e) => {
        await (await f.fh.catch(() => null))?.close();
        throw e;
      },
    );
    this.track(done, () => this.openFiles--);
  }

  /** After a failure: lets queued work settle and closes a file left open by an archive that broke off. */
  async abort(): Promise<void> {
    const f = this.file;
    this.file = null;
    if (f) {
      const closed = Promise.allSettled(f.writes)
        .then(() => f.fh)
        .then((fh) => fh.close());
      this.track(closed, () => this.openFiles--);
    }
    while (this.queued.size) await Promise.allSettled([...this.queued]);
  }

  /** Makes the symlinks, then gives directories their modes and mtimes. */
  async finish(): Promise<void> {
    await this.drain();
    for (const [rel, l] of this.links) await this.symlink(rel, l.target, l.mtime);
    for (const [rel, d] of this.dirMeta) {
      await fs.chmod(this.abs(rel), d.mode);
      await fs.utimes(this.abs(rel), d.mtime, d.mtime);
    }
  }

  /** Creates `rel`'s parents as real directories; resolves when they exist. */
  private parents(rel: string, name: string): Promise<unknown> {
    const dir = parentOf(rel);
    const known = this.dirs.get(dir);
    if (known) return known;
    // A directory wins over a symlink still to be made at its path.
    for (let p = dir; p !== ''; p = parentOf(p)) this.links.delete(p);
    const made = fs.mkdir(this.abs(dir), { recursive: true }).catch((e) => {
      if (code(e) === 'ENOTDIR' || code(e) === 'EEXIST')
        throw new ContextTarError(`${name}: Cannot open: Not a directory`);
      throw e;
    });
    for (let p = dir; p !== '' && !this.dirs.has(p); p = parentOf(p)) this.dirs.set(p, made);
    return made;
  }

  /** A new file or directory: queued, not waited for. */
  private async queueNew(rel: string, m: ContextMember): Promise<void> {
    const parent = this.parents(rel, m.name);
    if (m.type === '5') {
      const made = parent.then(() => fs.mkdir(this.abs(rel), 0o700));
      this.dirs.set(rel, made);
      this.dirMeta.set(rel, { mode: m.mode, mtime: m.mtime });
      this.track(made);
      return;
    }
    this.openFiles++;
    const fh = parent.then(() => fs.open(this.abs(rel), 'wx', 0o600));
    // Unhandled until end() or abort() chains on it; its failure is reported through them.
    fh.catch(() => undefined);
    this.file = { fh, writes: [], pos: 0, hash: createHash('sha256'), rel, mode: m.mode, mtime: m.mtime };
    await this.belowLimits();
  }

  /** Follows a queued operation: its failure is kept, `after` runs when it settles. */
  private track(p: Promise<unknown>, after?: () => void): void {
    this.queued.add(p);
    p.then(
      () => undefined,
      (e) => (this.failure ??= e),
    ).finally(() => {
      this.queued.delete(p);
      after?.();
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  /** Waits while too much is queued. */
  private async belowLimits(): Promise<void> {
    while ((this.queuedBytes > MAX_QUEUED_BYTES || this.openFiles > MAX_OPEN_FILES) && this.queued.size)
      await new Promise<void>((r) => (this.wake = r));
    if (this.failure) throw this.failure;
  }

  /** Waits for every queued operation; throws the first failure. */
  private async drain(): Promise<void> {
    while (this.queued.size) await Promise.allSettled([...this.queued]);
    if (this.failure) throw this.failure;
  }

  /** Removes whatever an earlier member left at `rel` (an empty directory included). */
  private async clear(rel: string, name: string): Promise<void> {
    const st = await fs.lstat(this.abs(rel)).catch(() => null);
    if (!st) return;
    if (st.isDirectory()) {
      await fs.rmdir(this.abs(rel)).catch((e) => {
        throw new ContextTarError(`${name}: Cannot open: ${code(e) === 'ENOTEMPTY' ? 'Is a directory' : code(e)}`);
      });
      this.dirs.delete(rel);
      this.dirMeta.delete(rel);
    } else await fs.unlink(this.abs(rel));
    this.digests.delete(rel);
  }

  private async openFile(rel: string, m: ContextMember): Promise<void> {
    await this.parents(rel, m.name);
    let fh: FileHandle;
    try {
      fh = await fs.open(this.abs(rel), 'wx', 0o600);
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
      await this.clear(rel, m.name);
      fh = await fs.open(this.abs(rel), 'wx', 0o600);
    }
    this.digests.delete(rel);
    this.openFiles++;
    const h = Promise.resolve(fh);
    this.file = { fh: h, writes: [], pos: 0, hash: createHash('sha256'), rel, mode: m.mode, mtime: m.mtime };
  }

  private async directory(rel: string, m: ContextMember): Promise<void> {
    await this.parents(rel, m.name);
    if (!this.dirs.has(rel)) {
      try {
        await fs.mkdir(this.abs(rel), 0o700);
      } catch (e) {
        if (code(e) !== 'EEXIST') throw e;
        const st = await fs.lstat(this.abs(rel));
        if (!st.isDirectory()) {
          await this.clear(rel, m.name);
          await fs.mkdir(this.abs(rel), 0o700);
        }
      }
      this.dirs.set(rel, Promise.resolve());
    }
    this.dirMeta.set(rel, { mode: m.mode, mtime: m.mtime });
  }

  private async hardLink(rel: string, m: ContextMember): Promise<void> {
    const target = safeMemberPath(m.linkname);
    if (target === null || target === '') return;
    const link = this.links.get(target);
    if (link) {
      // A hard link to a symlink is that symlink again.
      this.links.set(rel, link);
      return;
    }
    await this.parents(rel, m.name);
    const make = (): Promise<void> => fs.link(this.abs(target), this.abs(rel));
    try {
      await make().catch(async (e) => {
        if (code(e) !== 'EEXIST') throw e;
        await this.clear(rel, m.name);
        await make();
      });
    } catch (e) {
      if (e instanceof ContextTarError) throw e;
      const why = code(e) === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
      throw new ContextTarError(`${m.name}: Cannot hard link to '${m.linkname}': ${why}`);
    }
    const digest = this.digests.get(target);
    if (digest !== undefined) this.digests.set(rel, digest);
    else this.digests.delete(rel);
  }

  /** FIFOs and device nodes (the daemon runs as root, as GNU tar did). */
  private async special(rel: string, m: ContextMember): Promise<void> {
    await this.parents(rel, m.name);
    await this.clear(rel, m.name);
    const p = this.abs(rel);
    if (m.type === '6') await run('mkfifo', [p]);
    else await run('mknod', [p, m.type === '3' ? 'c' : 'b', String(m.devMajor), String(m.devMinor)]);
    await fs.chmod(p, m.mode);
    await fs.utimes(p, m.mtime, m.mtime);
  }

  /**
   * A symlink, made after every other member: its parents must be real
   * directories (one made here never counts), so a link is never created
   * through another link.
   */
  private async symlink(rel: string, target: string, mtime: number): Promise<void> {
    const parts = rel.split('/');
    let dir = '';
    for (const part of parts.slice(0, -1)) {
      dir = dir ? `${dir}/${part}` : part;
      if (this.dirs.has(dir)) continue;
      const st = await fs.lstat(this.abs(dir)).catch(() => null);
      if (st && !st.isDirectory()) return; // below a symlink or a file: skipped
      if (!st) await fs.mkdir(this.abs(dir));
      this.dirs.set(dir, Promise.resolve());
    }
    const st = await fs.lstat(this.abs(rel)).catch(() => null);
    if (st?.isDirectory()) {
      // Only an empty directory gives way, as in GNU tar.
      if ((await fs.readdir(this.abs(rel))).length) return;
      await fs.rmdir(this.abs(rel));
      this.dirs.delete(rel);
      this.dirMeta.delete(rel);
    } else if (st) await fs.unlink(this.abs(rel));
    this.digests.delete(rel);
    await fs.symlink(target, this.abs(rel));
    await fs.lutimes(this.abs(rel), mtime, mtime);
  }
}
