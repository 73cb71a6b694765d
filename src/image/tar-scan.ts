// A pass-through that reads tar headers (ustar, GNU long names, pax) while
// the bytes flow on to GNU tar, without copying file data. It enforces that
// no member can write outside the extraction directory: no `..` components,
// and no member below a symlink that an earlier member of the same archive
// created (`a -> /etc` then `a/passwd`). A bad header fails the stream
// before the chunk holding it reaches tar. Names are kept as latin1 strings
// so they round-trip the raw bytes.
import { Transform, type TransformCallback } from 'node:stream';
import { parseWhiteout, type Whiteout } from './whiteout.js';

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

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

function cstr(buf: Buffer, start: number, len: number): string {
  let end = start;
  const stop = start + len;
  while (end < stop && buf[end] !== 0) end++;
  return buf.toString('latin1', start, end);
}

function numeric(buf: Buffer, start: number, len: number): number {
  if (buf[start] & 0x80) {
    // GNU base-256 for values that do not fit in octal.
    let v = buf[start] & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i];
    return v;
  }
  const s = cstr(buf, start, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp === -1) break;
    const len = parseInt(data.toString('latin1', i, sp), 10);
    if (!(len > 0)) break;
    const rec = data.toString('latin1', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

export class TarScanner extends Transform {
  readonly result: ScanResult = { entries: 0, contentSize: 0, whiteouts: [], ended: false };
  private readonly symlinks = new Set<string>();
  /** Partial header bytes carried between chunks. */
  private header = Buffer.alloc(0);
  /** Bytes of member data (incl. padding) still to pass before the next header. */
  private skip = 0;
  /** Collecting the body of a pax/long-name member. */
  private collect: { type: string; left: number; padded: number; parts: Buffer[] } | null = null;
  private pax: Record<string, string> = {};
  private longName?: string;
  private longLink?: string;
  private zeroBlocks = 0;

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
    const n = this.skip;
    this.skip = 0;
    return n;
  }

  /** Bytes the scanner still wants to read (pax / long-name bodies). */
  wants(): number {
    return this.collect ? this.collect.padded : 0;
  }

  /** Throws when the archive ended in the middle of a member. */
  finish(): void {
    if (!this.result.ended && (this.header.length || this.skip || this.collect))
      throw new UnsafeTarError('unexpected EOF in tar archive');
  }

  /** Parses the next bytes of the archive (the stream interface calls this for each chunk). */
  scan(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.result.ended) return; // trailing padding after the end marker
      if (this.collect) {
        const c = this.collect;
        const n = Math.min(c.padded, chunk.length - off);
        const keep = Math.min(n, c.left);
        if (keep > 0) c.parts.push(chunk.subarray(off, off + keep));
        c.left -= keep;
        c.padded -= n;
        off += n;
        if (c.padded === 0) this.finishCollect();
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      const need = BLOCK - this.header.length;
      if (this.header.length === 0 && chunk.length - off >= BLOCK) {
        this.onHeader(chunk.subarray(off, off + BLOCK));
        off += BLOCK;
      } else {
        const n = Math.min(need, chunk.length - off);
        this.header = Buffer.concat([this.header, chunk.subarray(off, off + n)]);
        off += n;
        if (this.header.length === BLOCK) {
          const h = this.header;
          this.header = Buffer.alloc(0);
          this.onHeader(h);
        }
      }
    }
  }

  private finishCollect(): void {
    const c = this.collect!;
    this.collect = null;
    const data = Buffer.concat(c.parts);
    if (c.type === 'x') Object.assign(this.pax, parsePax(data));
    else if (c.type === 'L') this.longName = cstr(data, 0, data.length);
    else if (c.type === 'K') this.longLink = cstr(data, 0, data.length);
    // 'g' (global pax) carries nothing we act on.
  }

  private onHeader(h: Buffer): void {
    // A real header never starts with NUL (its name); check the rest only then.
    if (h[0] === 0 && h.equals(ZERO_BLOCK)) {
      if (++this.zeroBlocks >= 2) this.result.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    const type = String.fromCharCode(h[156] || 0x30);
    let size = numeric(h, 124, 12);
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (padded === 0) return;
      this.collect = { type, left: size, padded, parts: [] };
      return;
    }
    const ustar = h.toString('latin1', 257, 262) === 'ustar';
    const prefix = ustar ? cstr(h, 345, 155) : '';
    let name = this.pax.path ?? this.longName ?? (prefix ? prefix + '/' + cstr(h, 0, 100) : cstr(h, 0, 100));
    const link = this.pax.linkpath ?? this.longLink ?? cstr(h, 157, 100);
    if (this.pax.size !== undefined) size = Number(this.pax.size);
    this.pax = {};
    this.longName = this.longLink = undefined;

    name = normalizeMember(name);
    this.checkAncestors(name);
    this.result.entries++;
    switch (type) {
      case '2':
        this.symlinks.add(name);
        break;
      case '1': {
        const target = normalizeMember(link);
        this.checkAncestors(target);
        // A hard link to a symlink is another symlink with the same target.
        if (this.symlinks.has(target)) this.symlinks.add(name);
        break;
      }
      case '0':
      case '7':
        this.result.contentSize += size;
        break;
    }
    const wh = name ? parseWhiteout(name) : null;
    if (wh) this.result.whiteouts.push(wh);
    // Only regular-ish members carry data; links, dirs and devices do not.
    const carries = type === '0' || type === '7' || type === 'S' || !'123456'.includes(type);
    this.skip = carries ? Math.ceil(size / BLOCK) * BLOCK : 0;
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
