// A pass-through that reads tar headers (tar-header.ts) while the bytes flow
// on to GNU tar, without copying file data. It enforces that
// no member can write outside the extraction directory: no `..` components,
// and no member below a symlink that an earlier member of the same archive
// created (`a -> /etc` then `a/passwd`). A bad header fails the stream
// before the chunk holding it reaches tar. Names are kept as latin1 strings
// so they round-trip the raw bytes.
import { Transform, type TransformCallback } from 'node:stream';
import { TarReader, TarTruncatedError, type TarMember } from './tar-header.js';
import { parseWhiteout, type Whiteout } from './whiteout.js';

export class UnsafeTarError extends Error {}

export interface ScanResult {
  entries: number;
  /** Bytes of file content (regular files), as the layer's size. */
  contentSize: number;
  whiteouts: Whiteout[];
  /** True when an archive-end marker (two zero blocks) was seen. */
  ended: boolean;
}

/** Strips leading `/` and `./`, drops `.` parts; throws on `..`. */
export function normalizeMember(name: string): string {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..')
      throw new UnsafeTarError(`refusing to extract ${JSON.stringify(name)}: path contains ".."`);
    parts.push(p);
  }
  return parts.join('/');
}

export class TarScanner extends Transform {
  readonly result: ScanResult = { entries: 0, contentSize: 0, whiteouts: [], ended: false };
  private readonly symlinks = new Set<string>();
  private readonly reader = new TarReader((m) => this.onMember(m));

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (e) {
      return cb(e as Error);
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.finish();
    } catch (e) {
      return cb(e as Error);
    }
    cb();
  }

  /**
   * Skips member data instead of reading it: call after each header. Returns
   * the bytes the reader may jump over (0 when the scanner needs the bytes,
   * e.g. for pax records, or when none follow).
   */
  takeSkip(): number {
    return this.reader.takeSkip();
  }

  /** Bytes the scanner still wants to read (pax / long-name bodies). */
  wants(): number {
    return this.reader.wants();
  }

  /** Throws when the archive ended in the middle of a member. */
  finish(): void {
    try {
      this.reader.finish();
    } catch (e) {
      throw e instanceof TarTruncatedError ? new UnsafeTarError(e.message) : e;
    }
  }

  /** Parses the next bytes of the archive (the stream interface calls this for each chunk). */
  scan(chunk: Buffer): void {
    this.reader.feed(chunk);
    this.result.ended = this.reader.ended;
  }

  private onMember(m: TarMember): void {
    const name = normalizeMember(m.name);
    this.checkAncestors(name);
    this.result.entries++;
    switch (m.type) {
      case '2':
        this.symlinks.add(name);
        break;
      case '1': {
        const target = normalizeMember(m.linkname);
        this.checkAncestors(target);
        // A hard link to a symlink is another symlink with the same target.
        if (this.symlinks.has(target)) this.symlinks.add(name);
        break;
      }
      case '0':
      case '7':
        this.result.contentSize += m.size;
        break;
    }
    const wh = name ? parseWhiteout(name) : null;
    if (wh) this.result.whiteouts.push(wh);
  }

  /** No component above `name` may be a symlink this archive created. */
  private checkAncestors(name: string): void {
    if (this.symlinks.size === 0) return;
    let i = name.indexOf('/');
    while (i !== -1) {
      if (this.symlinks.has(name.slice(0, i)))
        throw new UnsafeTarError(
          `refusing to extract ${JSON.stringify(name)}: it is below a symlink of this archive`,
        );
      i = name.indexOf('/', i + 1);
    }
  }
}
