// Unpacks one layer into a directory with GNU tar:
//   source → blob hash, staged in tmp/ (→ decompress → diff_id hash → plain tar file)
//   → header scan of the plain tar (escape checks, whiteout names) → tar -x -f <file>
// then turns OCI whiteouts into overlay ones with a second GNU tar pass of a
// small generated archive (0:0 character devices, trusted.overlay.opaque=y).
// Feeding tar through a pipe from Node costs ~40% more than letting it read a
// file, and a scan before extraction means tar never sees a hostile archive.
import { spawn } from 'node:child_process';
import {
  constants as fsConstants,
  createReadStream,
  createWriteStream,
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

function runTar(args: string[], input?: Buffer): { child: ReturnType<typeof spawn>; done: Promise<void> } {
  const child = spawn('tar', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`tar ${signal ? 'killed by ' + signal : 'exit ' + code}: ${stderr.trim()}`));
    });
  });
  if (input) {
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input);
  }
  return { child, done };
}

/** A layer arrives as a stream (import, pull, build) or as a file already on disk (load). */
export type LayerSource = Readable | { file: string };

interface Staged {
  compression: Compression;
  /** The blob as received, in tmp/ (committed to the content store at the end). */
  blobFile: string;
  /** The plain tar to extract: the blob itself when uncompressed. */
  plainFile: string;
  /** Digests; for a file source they are computed while tar runs. */
  hashes: Promise<{ blob: Ingested; diffId: string }>;
  /** Headers already scanned on the way in (stream sources). */
  scan?: ScanResult;
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

/** Writes the stream to tmp/ while hashing it (and its decompressed form). */
async function stageStream(source: Readable, content: ContentStore, temps: string[]): Promise<Staged> {
  const compression = detectCompression(await peek(source, 6));
  const blobFile = content.ingestPath();
  temps.push(blobFile);
  const blobHash = new HashingPassThrough();
  const scanner = new TarScanner();
  if (compression === 'none') {
    await pipeline(
      source,
      blobHash,
      scanner,
      createWriteStream(blobFile, { mode: 0o600, highWaterMark: 8 << 20 }),
    );
    const blob = { digest: blobHash.digest(), size: blobHash.size };
    return {
      compression,
      blobFile,
      plainFile: blobFile,
      hashes: Promise.resolve({ blob, diffId: blob.digest }),
      scan: scanner.result,
    };
  }
  const plainFile = content.ingestPath();
  temps.push(plainFile);
  const diffHash = new HashingPassThrough();
  await pipeline(
    source,
    blobHash,
    new FileTee(blobFile),
    decompressor(compression),
    diffHash,
    scanner,
    createWriteStream(plainFile, { mode: 0o600, highWaterMark: 8 << 20 }),
  );
  const blob = { digest: blobHash.digest(), size: blobHash.size };
  return {
    compression,
    blobFile,
    plainFile,
    hashes: Promise.resolve({ blob, diffId: diffHash.digest() }),
    scan: scanner.result,
  };
}

/** A file source: linked into tmp/ (no copy); hashed while tar reads it. */
async function stageFile(file: string, content: ContentStore, temps: string[]): Promise<Staged> {
  const compression = detectCompression(await headOf(file));
  const blobFile = content.ingestPath();
  temps.push(blobFile);
  // A file of ours in tmp/ (load) is linked, not copied; anyone else's file is
  // copied (reflinked where the file system can), so later writes to it cannot
  // change a stored blob.
  if (path.dirname(file).startsWith(path.dirname(blobFile) + '/'))
    await fs.link(file, blobFile).catch(() => fs.copyFile(file, blobFile, fsConstants.COPYFILE_FICLONE));
  else await fs.copyFile(file, blobFile, fsConstants.COPYFILE_FICLONE);
  if (compression === 'none') {
    const hashes = hashFile(blobFile).then((blob) => ({ blob, diffId: blob.digest }));
    hashes.catch(() => undefined); // awaited later; do not let an early failure go unhandled
    return { compression, blobFile, plainFile: blobFile, hashes };
  }
  const plainFile = content.ingestPath();
  temps.push(plainFile);
  const blobHash = new HashingPassThrough();
  const diffHash = new HashingPassThrough();
  await pipeline(
    createReadStream(blobFile),
    blobHash,
    decompressor(compression),
    diffHash,
    createWriteStream(plainFile, { mode: 0o600 }),
  );
  const blob = { digest: blobHash.digest(), size: blobHash.size };
  return { compression, blobFile, plainFile, hashes: Promise.resolve({ blob, diffId: diffHash.digest() }) };
}

/**
 * Unpacks a layer (gzip/zstd/xz/bzip2 or plain tar) into `dir`, which must
 * not exist yet. The plain tar is staged in tmp/, scanned by its headers
 * (escape checks, whiteout names) and only then handed to GNU tar as a file,
 * which reads it at full speed. The blob is committed to `content` only when
 * the unpack succeeded.
 */
export async function unpackLayer(
  source: LayerSource,
  dir: string,
  content: ContentStore,
  expectedBlob?: string,
): Promise<UnpackResult> {
  const temps: string[] = [];
  try {
    const staged =
      'file' in source
        ? await stageFile(source.file, content, temps)
        : await stageStream(source, content, temps);
    const scan = staged.scan ?? (await scanTarFile(staged.plainFile));
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    const tar = runTar(['-x', '-f', staged.plainFile, '-C', dir, ...TAR_EXTRACT_FLAGS, '--exclude=.wh.*']);
    const [, hashes] = await Promise.all([tar.done, staged.hashes]);
    // A pulled blob must be what the manifest named (checked before anything is kept).
    if (expectedBlob && hashes.blob.digest !== expectedBlob)
      throw new DigestMismatch(`digest mismatch: expected ${expectedBlob}, got ${hashes.blob.digest}`);
    if (scan.whiteouts.length) await applyWhiteouts(dir, scan.whiteouts);
    const blob = await content.commit(staged.blobFile, hashes.blob.digest, hashes.blob.size);
    return {
      diffId: hashes.diffId,
      blob,
      mediaType: LAYER_MEDIA_TYPE[staged.compression],
      compression: staged.compression,
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
  await runTar(['-x', '-f', '-', '-C', dir, ...TAR_EXTRACT_FLAGS], tarBuffer(members)).done;
}

/**
 * Extracts an untrusted archive (image archives for `load`) into a fresh
 * directory with the same escape checks as layers, without xattrs or owners.
 */
export async function extractArchive(source: Readable, dir: string): Promise<void> {
  const compression = detectCompression(await peek(source, 6));
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const scanner = new TarScanner();
  const tar = runTar([
    '-x',
    '-f',
    '-',
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
      new ChildStdin(tar.child.stdin!, () => scanner.result.ended),
    );
  } catch (e) {
    tar.child.kill('SIGKILL');
    await tar.done.catch(() => undefined);
    throw e;
  }
  await tar.done;
}
