// A layer tar from an overlay upper directory (container commit, build
// steps): GNU tar reads the directory, and this rewrites the overlay forms
// of deletions into OCI whiteouts on the way out — a 0:0 character device
// becomes an empty `.wh.<name>` file, a directory marked
// trusted.overlay.opaque=y is written without that mark plus a
// `.wh..wh..opq` entry inside it.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import {
  BLOCK,
  carriesData,
  headerName,
  padded as paddedSize,
  parsePaxRecords,
  tarNumber as num,
  typeFlag,
} from '../image/tar-header.js';
import { tarHeader, type TarHeader } from '../image/tar-write.js';
import { OPAQUE_MARKER, OVERLAY_OPAQUE_XATTR, whiteoutName } from '../image/whiteout.js';
import { ARCHIVE_IN, ARCHIVE_OUT, tarProcess } from './tar-process.js';

/** Rewrites overlay whiteouts in a tar stream into OCI whiteouts. */
export class OverlayToOciWhiteouts extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  /** Member data bytes (padded) still to copy through. */
  private copy = 0;
  /** A pending pax header: its raw bytes and records, held until its member's header arrives. */
  private pax: { raw: Buffer; records: [string, string][] } | null = null;

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      this.drain();
    } catch (e) {
      return cb(e as Error);
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.buf.length) this.push(this.buf);
    cb();
  }

  private drain(): void {
    for (;;) {
      if (this.copy > 0) {
        const n = Math.min(this.copy, this.buf.length);
        if (n === 0) return;
        this.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.copy -= n;
        continue;
      }
      if (this.buf.length < BLOCK) return;
      const h = this.buf.subarray(0, BLOCK);
      const type = typeFlag(h);
      const size = num(h, 124, 12);
      const padded = paddedSize(size);
      if (type === 'x') {
        if (this.buf.length < BLOCK + padded) return; // wait for the whole pax header
        const raw = Buffer.from(this.buf.subarray(0, BLOCK + padded));
        this.pax = { raw, records: parsePaxRecords(raw.subarray(BLOCK, BLOCK + size)) };
        this.buf = this.buf.subarray(BLOCK + padded);
        continue;
      }
      const pax = this.pax;
      this.pax = null;
      this.buf = this.buf.subarray(BLOCK);
      this.member(Buffer.from(h), type, pax);
      this.copy = carriesData(type) ? padded : 0;
    }
  }

  private member(h: Buffer, type: string, pax: { raw: Buffer; records: [string, string][] } | null): void {
    const records = pax?.records ?? [];
    const get = (k: string): string | undefined => records.find(([key]) => key === k)?.[1];
    const name = (get('path') ?? headerName(h)).replace(/\/+$/, '');
    const base: TarHeader = {
      name,
      type: 'file',
      mode: num(h, 100, 8),
      uid: num(h, 108, 8),
      gid: num(h, 116, 8),
      mtime: num(h, 136, 12),
    };
    if (type === '3' && num(h, 329, 8) === 0 && num(h, 337, 8) === 0) {
      this.push(tarHeader({ ...base, name: whiteoutName(name), mode: 0o600, size: 0 }));
      return;
    }
    if (type === '5' && get(`SCHILY.xattr.${OVERLAY_OPAQUE_XATTR}`) === 'y') {
      const xattrs = Object.fromEntries(
        records
          .filter(([k]) => k.startsWith('SCHILY.xattr.') && k !== `SCHILY.xattr.${OVERLAY_OPAQUE_XATTR}`)
          .map(([k, v]) => [k.slice(13), v]),
      );
      this.push(tarHeader({ ...base, type: 'dir', xattrs }));
      this.push(tarHeader({ ...base, name: `${name}/${OPAQUE_MARKER}`, mode: 0o600, size: 0 }));
      return;
    }
    if (pax) this.push(pax.raw);
    this.push(h);
  }
}

/**
 * The layer tar of an overlay upper directory, members named without `./`
 * and sorted, owners numeric, xattrs kept (overlay's own trusted.overlay.*
 * marks other than opaque are dropped).
 */
export async function diffTar(upperDir: string): Promise<Readable> {
  const top = (await fs.readdir(upperDir)).sort();
  const out = new OverlayToOciWhiteouts();
  const tar = tarProcess([
    '-c',
    '-f',
    ARCHIVE_OUT,
    '-C',
    upperDir,
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    '--xattrs-exclude=trusted.overlay.origin',
    '--xattrs-exclude=trusted.overlay.impure',
    '--xattrs-exclude=trusted.overlay.redirect',
    '--xattrs-exclude=trusted.overlay.nlink',
    '--no-recursion',
    // --null before -T: tar may read a named list (/dev/fd/4) as soon as it sees -T.
    '--null',
    '--verbatim-files-from',
    '-T',
    ARCHIVE_IN,
  ]);
  void tar.exit.then(
    ({ code, stderr }) => {
      if (code !== 0) out.destroy(new Error(`tar: exit ${code}: ${stderr.trim()}`));
    },
    (e: Error) => out.destroy(e),
  );
  tar.input.on('error', () => undefined);
  tar.output!.pipe(out);
  // Every path, parents before children, so --no-recursion keeps the order ours.
  void listTree(upperDir, top).then(
    (paths) => tar.input.end(paths.map((p) => p + '\0').join('')),
    (e: Error) => out.destroy(e),
  );
  return out;
}

async function listTree(root: string, names: string[], rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const n of names) {
    const p = rel ? `${rel}/${n}` : n;
    out.push(p);
    const st = await fs.lstat(path.join(root, p));
    if (st.isDirectory())
      out.push(...(await listTree(root, (await fs.readdir(path.join(root, p))).sort(), p)));
  }
  return out;
}
