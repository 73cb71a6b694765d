// Reading tar headers (ustar, GNU long names and base-256 numbers, pax), pure:
// the field decoders, and a push parser that turns a byte stream into members
// (name, link, size, type with pax and long-name records applied) while
// telling its caller how many data bytes to pass over. The layer scanner, the
// `docker cp` guard and the file scanner share it; nothing here does I/O.

export const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

export type NameEncoding = 'latin1' | 'utf8';

/** Bytes up to the first NUL within a field. */
export function cstr(buf: Buffer, start: number, len: number, enc: NameEncoding = 'latin1'): string {
  let end = start;
  const stop = start + len;
  while (end < stop && buf[end] !== 0) end++;
  return buf.toString(enc, start, end);
}

/** An octal field, or GNU base-256 for values that do not fit in octal. */
export function tarNumber(buf: Buffer, start: number, len: number): number {
  if (buf[start] & 0x80) {
    let v = buf[start] & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + buf[i];
    return v;
  }
  const s = cstr(buf, start, len).trim();
  return s ? parseInt(s, 8) : 0;
}

/** Member data rounded up to whole blocks. */
export function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** pax extended header records (`<len> <key>=<value>\n`), in order. */
export function parsePaxRecords(data: Buffer, enc: NameEncoding = 'latin1'): [string, string][] {
  const out: [string, string][] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp === -1) break;
    const len = parseInt(data.toString('latin1', i, sp), 10);
    if (!(len > 0)) break;
    const rec = data.toString(enc, sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.push([rec.slice(0, eq), rec.slice(eq + 1)]);
    i += len;
  }
  return out;
}

/** The typeflag as a character ('0' for the old NUL). */
export function typeFlag(h: Buffer): string {
  return String.fromCharCode(h[156] || 0x30);
}

/** The name from the header alone (ustar prefix joined). */
export function headerName(h: Buffer, enc: NameEncoding = 'latin1'): string {
  const prefix = h.toString('latin1', 257, 262) === 'ustar' ? cstr(h, 345, 155, enc) : '';
  const name = cstr(h, 0, 100, enc);
  return prefix ? `${prefix}/${name}` : name;
}

/** Header types whose body describes the next member rather than being one. */
export function isMetaType(type: string): boolean {
  return type === 'x' || type === 'g' || type === 'L' || type === 'K';
}

/** Links, directories and devices carry no data, whatever their size field says. */
export function carriesData(type: string): boolean {
  return !'123456'.includes(type);
}

export interface TarMember {
  type: string;
  name: string;
  linkname: string;
  size: number;
  /** The member's own 512-byte header. */
  header: Buffer;
}

export class TarTruncatedError extends Error {
  constructor() {
    super('unexpected EOF in tar archive');
  }
}

/**
 * A push parser over a tar stream: feed it chunks in order; it calls
 * `onMember` for each member once its header (and any pax / long-name records
 * before it) has arrived, and passes over member data without copying it.
 */
export class TarReader {
  /** Two zero blocks seen (one with `endAtZeroBlock`): later bytes are padding. */
  ended = false;
  private header = Buffer.alloc(0);
  private skip = 0;
  private collect: { type: string; left: number; padded: number; parts: Buffer[] } | null = null;
  private pax: Record<string, string> = {};
  private longName?: string;
  private longLink?: string;
  private zeroBlocks = 0;

  constructor(
    private readonly onMember: (m: TarMember) => void,
    private readonly opts: { encoding?: NameEncoding; endAtZeroBlock?: boolean } = {},
  ) {}

  /**
   * Data bytes the caller may jump over instead of feeding them (call after
   * each header; 0 when none follow).
   */
  takeSkip(): number {
    const n = this.skip;
    this.skip = 0;
    return n;
  }

  /** Bytes the reader still wants to see (pax / long-name bodies). */
  wants(): number {
    return this.collect ? this.collect.padded : 0;
  }

  /** Throws when the archive ended in the middle of a member. */
  finish(): void {
    if (!this.ended && (this.header.length || this.skip || this.collect)) throw new TarTruncatedError();
  }

  feed(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.ended) return;
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
      if (this.header.length === 0 && chunk.length - off >= BLOCK) {
        this.onHeader(chunk.subarray(off, off + BLOCK));
        off += BLOCK;
        continue;
      }
      const n = Math.min(BLOCK - this.header.length, chunk.length - off);
      this.header = Buffer.concat([this.header, chunk.subarray(off, off + n)]);
      off += n;
      if (this.header.length === BLOCK) {
        const h = this.header;
        this.header = Buffer.alloc(0);
        this.onHeader(h);
      }
    }
  }

  private finishCollect(): void {
    const c = this.collect!;
    this.collect = null;
    const data = Buffer.concat(c.parts);
    const enc = this.opts.encoding ?? 'latin1';
    if (c.type === 'x') for (const [k, v] of parsePaxRecords(data, enc)) this.pax[k] = v;
    else if (c.type === 'L') this.longName = cstr(data, 0, data.length, enc);
    else if (c.type === 'K') this.longLink = cstr(data, 0, data.length, enc);
    // 'g' (global pax) carries nothing a reader here acts on.
  }

  private onHeader(h: Buffer): void {
    // A real header never starts with NUL (its name); check the rest only then.
    if (h[0] === 0 && h.equals(ZERO_BLOCK)) {
      if (++this.zeroBlocks >= 2 || this.opts.endAtZeroBlock) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    const type = typeFlag(h);
    const size = tarNumber(h, 124, 12);
    if (isMetaType(type)) {
      if (padded(size) > 0) this.collect = { type, left: size, padded: padded(size), parts: [] };
      return;
    }
    const enc = this.opts.encoding ?? 'latin1';
    const m: TarMember = {
      type,
      name: this.pax.path ?? this.longName ?? headerName(h, enc),
      linkname: this.pax.linkpath ?? this.longLink ?? cstr(h, 157, 100, enc),
      size: this.pax.size !== undefined ? Number(this.pax.size) : size,
      header: h,
    };
    this.pax = {};
    this.longName = this.longLink = undefined;
    this.onMember(m);
    this.skip = carriesData(type) ? padded(m.size) : 0;
  }
}
