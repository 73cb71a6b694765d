// A pass-through for tar streams that clients send into a container (`docker
// cp` PUT). Before a header reaches GNU tar it refuses: absolute names and
// `..` components, device nodes, members below a symlink the archive itself
// created, and members whose parent path already exists in the destination
// as a symlink (GNU tar would follow it on the host; Docker's chrooted
// extraction follows it inside the container, so we refuse rather than guess).
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Forbidden, InvalidArgument } from '../api/errors.js';

const BLOCK = 512;

function cstr(buf: Buffer, start: number, len: number): string {
  let end = start;
  while (end < start + len && buf[end] !== 0) end++;
  return buf.toString('utf8', start, end);
}

function numeric(buf: Buffer, start: number, len: number): number {
  if (buf[start] & 0x80) {
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
    const rec = data.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Checks a member name: relative, no `..`; returns it without `./` and trailing `/`. */
export function checkMemberName(name: string): string {
  if (name.startsWith('/'))
    throw new InvalidArgument(`refusing to extract ${JSON.stringify(name)}: absolute path`);
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..')
      throw new InvalidArgument(`refusing to extract ${JSON.stringify(name)}: path contains ".."`);
    parts.push(p);
  }
  return parts.join('/');
}

export class CopyInGuard extends Transform {
  private buf = Buffer.alloc(0);
  private skip = 0;
  private collect: { type: string; size: number; padded: number; parts: Buffer[]; got: number } | null = null;
  private pax: Record<string, string> = {};
  private longName?: string;
  private longLink?: string;
  private readonly symlinks = new Set<string>();
  /** Directories this archive created (safe to descend without looking at the disk). */
  private readonly dirs = new Set<string>(['']);
  private ended = false;
  /** Top-level names the archive writes (for `cp -a` ownership). */
  readonly tops = new Set<string>();

  /** `dest`: the host directory GNU tar extracts into. */
  constructor(private readonly dest: string) {
    super();
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (e) {
      return cb(e as Error);
    }
    cb(null, chunk);
  }

  private scan(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        this.skip -= n;
        off += n;
        continue;
      }
      if (this.collect) {
        const c = this.collect;
        const n = Math.min(c.padded - c.got, chunk.length - off);
        c.parts.push(chunk.subarray(off, off + n));
        c.got += n;
        off += n;
        if (c.got === c.padded) this.finishCollect();
        continue;
      }
      const n = Math.min(BLOCK - this.buf.length, chunk.length - off);
      this.buf = Buffer.concat([this.buf, chunk.subarray(off, off + n)]);
      off += n;
      if (this.buf.length === BLOCK) {
        const h = this.buf;
        this.buf = Buffer.alloc(0);
        this.onHeader(h);
      }
    }
  }

  private finishCollect(): void {
    const c = this.collect!;
    this.collect = null;
    const data = Buffer.concat(c.parts).subarray(0, c.size);
    if (c.type === 'x') Object.assign(this.pax, parsePax(data));
    else if (c.type === 'L') this.longName = cstr(data, 0, data.length);
    else if (c.type === 'K') this.longLink = cstr(data, 0, data.length);
  }

  private onHeader(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.ended = true; // trailing zero blocks pass through untouched
      return;
    }
    const type = String.fromCharCode(h[156] || 0x30);
    let size = numeric(h, 124, 12);
    if ('xgLK'.includes(type)) {
      this.collect = { type, size, padded: Math.ceil(size / BLOCK) * BLOCK, parts: [], got: 0 };
      if (this.collect.padded === 0) this.finishCollect();
      return;
    }
    const prefix = h.toString('latin1', 257, 262) === 'ustar' ? cstr(h, 345, 155) : '';
    const raw = this.pax.path ?? this.longName ?? (prefix ? prefix + '/' + cstr(h, 0, 100) : cstr(h, 0, 100));
    const link = this.pax.linkpath ?? this.longLink ?? cstr(h, 157, 100);
    if (this.pax.size !== undefined) size = Number(this.pax.size);
    this.pax = {};
    this.longName = this.longLink = undefined;

    const name = checkMemberName(raw);
    if (name) this.tops.add(name.split('/')[0]);
    if (type === '3' || type === '4')
      throw new Forbidden(`refusing to extract ${JSON.stringify(raw)}: device files are not allowed`);
    this.checkParents(name);
    if (type === '1') this.checkParents(checkMemberName(link) + '/x');
    if (type === '2') this.symlinks.add(name);
    else if (type === '5') this.dirs.add(name);
    const carries = !'123456'.includes(type);
    this.skip = carries ? Math.ceil(size / BLOCK) * BLOCK : 0;
  }

  /** Every directory above `name` is one this archive made, or a real directory (not a symlink) on disk. */
  private checkParents(name: string): void {
    const parts = name.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = cur ? cur + '/' + parts[i] : parts[i];
      if (this.symlinks.has(cur))
        throw new InvalidArgument(
          `refusing to extract ${JSON.stringify(name)}: it is below a symlink of this archive`,
        );
      if (this.dirs.has(cur)) continue;
      try {
        if (lstatSync(path.join(this.dest, cur)).isSymbolicLink())
          throw new InvalidArgument(
            `refusing to extract ${JSON.stringify(name)}: ${cur} is a symlink in the container`,
          );
      } catch (e) {
        if (e instanceof InvalidArgument) throw e;
      }
      this.dirs.add(cur);
    }
  }
}
