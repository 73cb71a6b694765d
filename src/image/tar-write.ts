// Writes tar archives (ustar headers, pax records for long names, large
// sizes and xattrs): the generated whiteout pass, `docker save` output.
import { BLOCK } from './tar-header.js';

export interface TarHeader {
  name: string; // latin1 string of the raw name bytes
  type: 'file' | 'dir' | 'symlink' | 'link' | 'char';
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number; // seconds
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
}

const TYPEFLAG = { file: '0', dir: '5', symlink: '2', link: '1', char: '3' } as const;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body, 'latin1');
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(len - bodyLen).length) len = bodyLen + String(len).length;
  return Buffer.from(`${len}${body}`, 'latin1');
}

function rawHeader(h: TarHeader, typeflag: string, name: string, size: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(name.slice(0, 100), 0, 'latin1');
  b.write(octal((h.mode ?? (h.type === 'dir' ? 0o755 : 0o644)) & 0o7777, 8), 100, 'latin1');
  b.write(octal(h.uid ?? 0, 8), 108, 'latin1');
  b.write(octal(h.gid ?? 0, 8), 116, 'latin1');
  b.write(octal(Math.min(size, 0o77777777777), 12), 124, 'latin1');
  b.write(octal(Math.floor(h.mtime ?? 0), 12), 136, 'latin1');
  b.write('        ', 148, 'latin1');
  b.write(typeflag, 156, 'latin1');
  if (h.linkname) b.write(h.linkname.slice(0, 100), 157, 'latin1');
  b.write('ustar\0', 257, 'latin1');
  b.write('00', 263, 'latin1');
  b.write(octal(h.devmajor ?? 0, 8), 329, 'latin1');
  b.write(octal(h.devminor ?? 0, 8), 337, 'latin1');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(octal(sum, 7) + ' ', 148, 'latin1');
  return b;
}

function pad(size: number): Buffer {
  const rem = size % BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem);
}

/** The header block(s) for one member (a pax header first when needed). */
export function tarHeader(h: TarHeader): Buffer {
  let name = h.name;
  if (h.type === 'dir' && !name.endsWith('/')) name += '/';
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const records: Buffer[] = [];
  if (Buffer.byteLength(name, 'latin1') > 100) records.push(paxRecord('path', name));
  if (h.linkname && Buffer.byteLength(h.linkname, 'latin1') > 100)
    records.push(paxRecord('linkpath', h.linkname));
  if (size > 0o77777777777) records.push(paxRecord('size', String(size)));
  for (const [k, v] of Object.entries(h.xattrs ?? {})) records.push(paxRecord('SCHILY.xattr.' + k, v));
  const main = rawHeader(h, TYPEFLAG[h.type], name, size);
  if (records.length === 0) return main;
  const body = Buffer.concat(records);
  const paxHead = rawHeader(
    { name: 'PaxHeaders/' + name.slice(-80), type: 'file', mode: 0o644 },
    'x',
    'PaxHeaders/' + name.slice(-80),
    body.length,
  );
  return Buffer.concat([paxHead, body, pad(body.length), main]);
}

/** Padding that follows `size` bytes of member data. */
export function tarPadding(size: number): Buffer {
  return pad(size);
}

/** The end-of-archive marker. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

/** A whole archive held in memory (small archives only). */
export function tarBuffer(members: { header: TarHeader; data?: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const data = m.data ?? Buffer.alloc(0);
    parts.push(tarHeader({ ...m.header, size: m.header.type === 'file' ? data.length : 0 }));
    if (data.length) parts.push(data, pad(data.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
