// Unpacks one layer into a directory with GNU tar:
//   stream: bytes → blob hash → blob file in tmp/ → decompress (1 MiB chunks)
//           → diff_id hash → header scan → tar -x -f - (1 MiB records)
//   plain tar file (load): header scan of the file → tar -x -f <file>
// then turns OCI whiteouts into overlay ones with a second GNU tar pass of a
// small generated archive (0:0 character devices, trusted.overlay.opaque=y).
// Each byte is written once as the blob and once as files; the header scan
// always runs before tar sees a member, so tar never sees a hostile header.
import {
  constants as fsConstants,
  createReadStream,
  createWriteStream,
  mkdirSync,
  promises as fs,
  type WriteStream,
} from 'node:fs';
import path from 'node:path';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarScanner, type ScanResult } from '../image/tar-scan.js';
import { tarBuffer, type TarHeader } from '../image/tar-write.js';
import { OVERLAY_OPAQUE_XATTR, type Whiteout } from '../image/whiteout.js';
import { DigestMismatch, HashingPassThrough, type ContentStore, type Ingested } from './content.js';
import { Rechunk } from './rechunk.js';
import { ARCHIVE_IN, tarProcess, type TarProcess } from './tar-process.js';
import { scanTarFile } from './tar-file-scan.js';
import { decompressor, detectCompression, LAYER_MEDIA_TYPE, peek, type Compression } from './decompress.js';

/**
 * Read the pipe in 1 MiB records, reassembling short reads (-B): with tar's
 * default 10 KiB records, feeding it through a pipe costs ~50% more time.
 */
export const TAR_PIPE_FLAGS = ['-b', '2048', '-B'];

export const TAR_EXTRACT_FLAGS = [
  '--numeric-owner',
  '--same-owner',
  '--same-permissions',
  '--xattrs',
  '--xattrs-include=*',
  '--warning=no-unknown-keyword',
  '--warning=no-timestamp',
];

export interface UnpackResult {
  diffId: string;
  /** The original blob as received, kept in the content store. */
  blob: Ingested;
  mediaType: string;
  compression: Compression;
  /** Bytes of file content in the layer. */
  size: number;
}

/** Copies every chunk into a file as it passes (back-pressure honoured). */
class FileTee extends Transform {
  private readonly out: WriteStream;
  constructor(file: string) {
    super();
    this.out = createWriteStream(file, { mode: 0o600, highWaterMark: 8 << 20 });
    this.out.on('error', (e) => this.destroy(e));
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (this.out.write(chunk)) cb(null, chunk);
    else this.out.once('drain', () => cb(null, chunk));
  }
  override _flush(cb: TransformCallback): void {
    this.out.end(() => cb());
  }
  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.out.destroy();
    cb(err);
  }
}

/**
 * tar's stdin as a sink that honours back-pressure without waiting for each
 * chunk to be read (so hashing and tar overlap). Once the archive's end
 * marker was seen, tar may exit before reading the padding: EPIPE is then fine.
 */
class ChildStdin extends Writable {
  private gone = false;
  private waiting: ((e?: Error | null) => void) | null = null;

  constructor(
    private readonly stdin: NodeJS.WritableStream & { on(ev: string, fn: (...a: any[]) => void): unknown },
    private readonly archiveEnded: () => boolean,
  ) {
    super({ highWaterMark: 1 << 20 });
    const release = (err?: Error | null): void => {
      const cb = this.waiting;
      this.waiting = null;
      cb?.(err);
    };
    stdin.on('drain', () => release());
    stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' && this.archiveEnded()) {
        this.gone = true;
        return release();
      }
      if (this.waiting) release(err);
      else this.destroy(err);
    });
    stdin.on('close', () => {
      this.gone = true;
      release(this.archiveEnded() ? null : new Error('tar exited before the end of the archive'));
    });
  }

  override _write(chunk: Buffer, _e: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.gone)
      return cb(this.archiveEnded() ? null : new Error('tar exited before the end of the archive'));
    if (this.stdin.write(chunk)) cb();
    else this.waiting = cb;
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.gone) return cb();
    this.stdin.end(() => cb());
  }
}

/**
 * GNU tar (tar-process.ts); `input` is the whole archive when given, and an
 * archive tar reads from a file gets its input closed at once.
 */
function runTar(args: (string | typeof ARCHIVE_IN)[], input?: Buffer): TarProcess {
  const tar = tarProcess(args);
  if (input || !args.includes(ARCHIVE_IN)) {
    tar.input.on('error', () => undefined);
    tar.input.end(input);
  }
  return tar;
}

/** A layer arrives as a stream (import, pull, build) or as a file already on disk (load). */
export type LayerSource = Readable | { file: string };

/** Where the bytes come from, with the blob file they end up in (in tmp/). */
interface Prepared {
  compression: Compression;
  blobFile: string;
  /** The bytes to hash and decompress; null when tar can read `blobFile` itself. */
  input: Readable | null;
  /** True when `input` must also be written to `blobFile` as it passes. */
  tee: boolean;
}

async function headOf(file: string): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function hashFile(file: string): Promise<Ingested> {
  const h = new HashingPassThrough();
  await pipeline(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    h,
    new Writable({ write: (_c, _e, cb) => cb() }),
  );
  return { digest: h.digest(), size: h.size };
}

/**
 * A file source (load) is linked into tmp/ (ours) or copied (anyone else's,
 * reflinked where the file system can), so later writes to it cannot change
 * a stored blob.
 */
async function prepare(source: LayerSource, content: ContentStore, temps: string[]): Promise<Prepared> {
  const blobFile = content.ingestPath();
  temps.push(blobFile);
  if (!('file' in source)) {
    const compression = detectCompression(await peek(source, 6));
    return { compression, blobFile, input: source, tee: true };
  }
  const compression = detectCompression(await headOf(source.file));
  if (path.dirname(source.file).startsWith(path.dirname(blobFile) + '/'))
    await fs
      .link(source.file, blobFile)
      .catch(() => fs.copyFile(source.file, blobFile, fsConstants.COPYFILE_FICLONE));
  else await fs.copyFile(source.file, blobFile, fsConstants.COPYFILE_FICLONE);
  const input = compression === 'none' ? null : createReadStream(blobFile, { highWaterMark: 1 << 20 });
  return { compression, blobFile, input, tee: false };
}

interface Extracted {
  blob: Ingested;
  diffId: string;
  scan: ScanResult;
}

/**
 * A plain tar file on disk: scanned by its headers first, then read by tar
 * itself at full speed while Node hashes it.
 */
async function extractFile(file: string, dir: string): Promise<Extracted> {
  const scan = await scanTarFile(file);
  const tar = runTar(['-x', '-f', file, '-C', dir, ...TAR_EXTRACT_FLAGS, '--exclude=.wh.*']);
  const [, blob] = await Promise.all([tar.done, hashFile(file)]);
  return { blob, diffId: blob.digest, scan };
}

/**
 * Bytes as they arrive: hashed (and written to the blob file), decompressed,
 * hashed again for the diff ID, scanned header by header and fed to tar, so
 * each byte is written once as a blob and once as a file. The scanner sits
 * before tar: a chunk holding a bad header fails the stream before tar gets
 * it, and what tar wrote so far is under a tmp/ directory that is removed.
 */
async function extractStream(p: Prepared, input: Readable, dir: string): Promise<Extracted> {
  const blobHash = new HashingPassThrough();
  const diffHash = p.compression === 'none' ? null : new HashingPassThrough();
  const scanner = new TarScanner();
  const tar = runTar([
    '-x',
    '-f',
    ARCHIVE_IN,
    ...TAR_PIPE_FLAGS,
    '-C',
    dir,
    ...TAR_EXTRACT_FLAGS,
    '--exclude=.wh.*',
  ]);
  const stages: NodeJS.ReadWriteStream[] = [new Rechunk(), blobHash];
  if (p.tee) stages.push(new FileTee(p.blobFile));
  if (diffHash) stages.push(decompressor(p.compression), diffHash);
  try {
    await pipeline([input, ...stages, scanner, new ChildStdin(tar.input, () => scanner.result.ended)]);
  } catch (e) {
    // When tar gave up first, its own message says why.
    const exited = tar.exited();
    if (!exited) tar.kill();
    const tarError = await tar.done.then(
      () => null,
      (x: unknown) => x,
    );
    throw exited && tarError ? tarError : e;
  }
  await tar.done;
  const blob = { digest: blobHash.digest(), size: blobHash.size };
  return { blob, diffId: diffHash ? diffHash.digest() : blob.digest, scan: scanner.result };
}

/**
 * Unpacks a layer (gzip/zstd/xz/bzip2 or plain tar) into `dir`, which must
 * not exist yet. Every member header is checked (escapes, whiteout names)
 * before tar sees it. The blob is committed to `content` only when the
 * unpack succeeded and, for a pull, its digest is the one expected; on any
 * failure the caller removes `dir`, so nothing half-made is kept.
 */
export async function unpackLayer(
  source: LayerSource,
  dir: string,
  content: ContentStore,
  expectedBlob?: string,
): Promise<UnpackResult> {
  const temps: string[] = [];
  try {
    // Nothing but the peek may be awaited before a stream source is piped: an
    // error it emits in between would have no listener.
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const prepared = await prepare(source, content, temps);
    const { blob, diffId, scan } = prepared.input
      ? await extractStream(prepared, prepared.input, dir)
      : await extractFile(prepared.blobFile, dir);
    // A pulled blob must be what the manifest named (checked before anything is kept).
    if (expectedBlob && blob.digest !== expectedBlob)
      throw new DigestMismatch(`digest mismatch: expected ${expectedBlob}, got ${blob.digest}`);
    if (scan.whiteouts.length) await applyWhiteouts(dir, scan.whiteouts);
    const stored = await content.commit(prepared.blobFile, blob.digest, blob.size);
    return {
      diffId,
      blob: stored,
      mediaType: LAYER_MEDIA_TYPE[prepared.compression],
      compression: prepared.compression,
      size: scan.contentSize,
    };
  } finally {
    await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
  }
}

/** Ownership, mode and mtime of an existing directory, to re-apply after pass 2. */
async function dirHeader(dir: string, rel: string, extra: Partial<TarHeader> = {}): Promise<TarHeader> {
  try {
    const st = await fs.lstat(Buffer.from(path.join(dir, rel), 'latin1'));
    if (st.isDirectory())
      return {
        name: rel,
        type: 'dir',
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: Math.floor(st.mtimeMs / 1000),
        ...extra,
      };
  } catch {
    /* created by pass 2 */
  }
  return { name: rel, type: 'dir', mode: 0o755, mtime: Math.floor(Date.now() / 1000), ...extra };
}

/**
 * Second pass: a generated tar with the overlay forms of the whiteouts. The
 * parent directories are included with their current metadata so tar puts
 * back their mtimes after creating the devices.
 */
async function applyWhiteouts(dir: string, whiteouts: Whiteout[]): Promise<void> {
  const dirs = new Map<string, Partial<TarHeader>>();
  const devices: TarHeader[] = [];
  for (const w of whiteouts) {
    if (w.kind === 'opaque') {
      if (w.dir === '') continue; // an opaque root means nothing for overlay
      dirs.set(w.dir, { ...dirs.get(w.dir), xattrs: { [OVERLAY_OPAQUE_XATTR]: 'y' } });
    } else {
      const parent = path.posix.dirname(w.path);
      if (parent !== '.' && !dirs.has(parent)) dirs.set(parent, {});
      devices.push({ name: w.path, type: 'char', mode: 0, devmajor: 0, devminor: 0 });
    }
  }
  const members: { header: TarHeader }[] = [];
  for (const [rel, extra] of [...dirs].sort(([a], [b]) => a.length - b.length))
    members.push({ header: await dirHeader(dir, rel, extra) });
  for (const d of devices) members.push({ header: d });
  await runTar(['-x', '-f', ARCHIVE_IN, '-C', dir, ...TAR_EXTRACT_FLAGS], tarBuffer(members)).done;
}

/**
 * Extracts an untrusted archive (image archives for `load`) into a fresh
 * directory with the same escape checks as layers, without xattrs or owners.
 */
export async function extractArchive(source: Readable, dir: string): Promise<void> {
  const compression = detectCompression(await peek(source, 6));
  mkdirSync(dir, { recursive: true, mode: 0o700 }); // no await before the source is piped
  const scanner = new TarScanner();
  const tar = runTar([
    '-x',
    '-f',
    ARCHIVE_IN,
    ...TAR_PIPE_FLAGS,
    '-C',
    dir,
    '--no-same-owner',
    '--no-same-permissions',
    '--warning=no-unknown-keyword',
    '--warning=no-timestamp',
  ]);
  try {
    await pipeline(
      source,
      decompressor(compression),
      scanner,
      new ChildStdin(tar.input, () => scanner.result.ended),
    );
  } catch (e) {
    tar.kill();
    await tar.done.catch(() => undefined);
    throw e;
  }
  await tar.done;
}
