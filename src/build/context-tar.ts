// Reads the build context's tar as it streams in: each member's header
// (ustar, GNU long names, pax records including fractional mtimes) and then
// its data, handed to a sink piece by piece. The reader awaits the sink, so
// a slow disk slows the upload instead of filling memory. Header checksums
// are verified: a body that is not a tar, or that ends inside a member, is
// an error rather than a half-read context.
import { BLOCK, cstr, padded, parsePaxRecords, tarNumber, typeFlag } from '../image/tar-header.js';

export interface ContextMember {
  /** The typeflag ('0' regular, '1' hard link, '2' symlink, '5' directory, …). */
  type: string;
  /** The name as written in the archive (not yet made safe). */
  name: string;
  linkname: string;
  size: number;
  /** Permission bits, setuid/setgid/sticky included. */
  mode: number;
  /** Seconds since the epoch, with the fraction a pax record gives. */
  mtime: number;
  devMajor: number;
  devMinor: number;
}

export interface MemberSink {
  /** A member's header; its data (size bytes, when the type carries data) follows. */
  begin(m: ContextMember): Promise<void> | void;
  data(piece: Buffer): Promise<void> | void;
  /** The member's data is complete. */
  end(): Promise<void> | void;
}

export class ContextTarError extends Error {}

const ZERO = Buffer.alloc(BLOCK);
/** Types whose data describes the next member. */
const META = new Set(['x', 'g', 'L', 'K']);
/** Types whose size field never announces data. */
const NO_DATA = new Set(['1', '2', '3', '4', '5', '6']);

/** The header checksum: unsigned or signed byte sum with the field itself as spaces. */
function checksumOk(h: Buffer): boolean {
  const want = tarNumber(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += b;
    signed += b < 128 ? b : b - 256;
  }
  return want === unsigned || want === signed;
}

/** ustar joins the prefix field; GNU's old format keeps other fields there. */
function nameOf(h: Buffer): string {
  const name = cstr(h, 0, 100, 'utf8');
  if (h.toString('latin1', 257, 263) !== 'ustar\0') return name;
  const prefix = cstr(h, 345, 155, 'utf8');
  return prefix ? `${prefix}/${name}` : name;
}

/** Reads `source` to its end, calling `sink` for each member; throws ContextTarError on a bad archive. */
export async function readContextTar(
  source: AsyncIterable<Buffer>,
  sink: MemberSink,
  signal?: AbortSignal,
): Promise<void> {
  const header = Buffer.alloc(BLOCK);
  let headerLen = 0;
  /** Data bytes of the current entry still to come, and the padding after them. */
  let left = 0;
  let pad = 0;
  /** Where the current entry's data goes. */
  let target = 'skip' as 'sink' | 'meta' | 'skip';
  let metaType = '';
  let metaParts: Buffer[] = [];
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let zeroBlocks = 0;
  let headers = 0;
  let offset = 0;
  let ended = false;

  const endEntry = async (): Promise<void> => {
    if (target === 'sink') await sink.end();
    else if (target === 'meta') {
      const data = Buffer.concat(metaParts);
      metaParts = [];
      if (metaType === 'x') for (const [k, v] of parsePaxRecords(data, 'utf8')) pax[k] = v;
      else if (metaType === 'g') for (const [k, v] of parsePaxRecords(data, 'utf8')) globalPax[k] = v;
      else if (metaType === 'L') longName = cstr(data, 0, data.length, 'utf8');
      else longLink = cstr(data, 0, data.length, 'utf8');
    }
    target = 'skip';
  };

  const onHeader = async (h: Buffer): Promise<void> => {
    if (h[0] === 0 && h.equals(ZERO)) {
      if (++zeroBlocks >= 2) ended = true;
      return;
    }
    zeroBlocks = 0;
    if (!checksumOk(h))
      throw new ContextTarError(
        headers === 0
          ? 'This does not look like a tar archive'
          : `invalid tar header at byte ${offset - BLOCK}`,
      );
    headers++;
    const type = typeFlag(h);
    const size = tarNumber(h, 124, 12);
    if (META.has(type)) {
      target = 'meta';
      metaType = type;
      left = size;
      pad = padded(size) - size;
      if (left === 0) await endEntry();
      return;
    }
    const rec = { ...globalPax, ...pax };
    if (Object.keys(rec).some((k) => k.startsWith('GNU.sparse.')) || type === 'S')
      throw new ContextTarError(`${rec.path ?? nameOf(h)}: sparse files are not supported in a build context`);
    if (type === 'M') throw new ContextTarError('multi-volume archives are not supported');
    const m: ContextMember = {
      type,
      name: rec.path ?? longName ?? nameOf(h),
      linkname: rec.linkpath ?? longLink ?? cstr(h, 157, 100, 'utf8'),
      size: rec.size !== undefined ? Number(rec.size) : size,
      mode: tarNumber(h, 100, 8) & 0o7777,
      mtime: rec.mtime !== undefined ? Number(rec.mtime) : tarNumber(h, 136, 12),
      devMajor: tarNumber(h, 329, 8),
      devMinor: tarNumber(h, 337, 8),
    };
    pax = {};
    longName = longLink = undefined;
    if (!Number.isFinite(m.size) || m.size < 0) throw new ContextTarError(`${m.name}: invalid size`);
    if (!Number.isFinite(m.mtime)) m.mtime = 0;
    await sink.begin(m);
    const data = NO_DATA.has(type) ? 0 : m.size;
    // Volume labels and GNU dump directories carry data nobody writes.
    target = type === 'V' || type === 'D' ? 'skip' : 'sink';
    left = data;
    pad = padded(data) - data;
    if (left === 0) await endEntry();
  };

  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (ended) continue; // padding after the end blocks: drained so the sender is never cut off
    if (signal?.aborted) throw signal.reason ?? new Error('build cancelled');
    let off = 0;
    while (off < chunk.length && !ended) {
      if (left > 0) {
        const n = Math.min(left, chunk.length - off);
        const piece = chunk.subarray(off, off + n);
        if (target === 'sink') await sink.data(piece);
        else if (target === 'meta') metaParts.push(piece);
        left -= n;
        off += n;
        offset += n;
        if (left === 0) await endEntry();
        continue;
      }
      if (pad > 0) {
        const n = Math.min(pad, chunk.length - off);
        pad -= n;
        off += n;
        offset += n;
        continue;
      }
      if (headerLen === 0 && chunk.length - off >= BLOCK) {
        off += BLOCK;
        offset += BLOCK;
        await onHeader(chunk.subarray(off - BLOCK, off));
        continue;
      }
      const n = Math.min(BLOCK - headerLen, chunk.length - off);
      chunk.copy(header, headerLen, off, off + n);
      headerLen += n;
      off += n;
      offset += n;
      if (headerLen === BLOCK) {
        headerLen = 0;
        await onHeader(header);
      }
    }
  }
  // An archive may stop at a member boundary without its end blocks (GNU tar accepts that).
  const midMember = headerLen > 0 || left > 0 || pad > 0;
  const dangling = Object.keys(pax).length > 0 || longName !== undefined || longLink !== undefined;
  if (!ended && (midMember || dangling)) throw new ContextTarError('Unexpected EOF in archive');
}
