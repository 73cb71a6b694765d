// Unpacks one layer tar into a directory with GNU tar fed by a Node stream:
//   source → blob hash + copy to the content store → decompress
//          → diff_id hash → TarScanner (escape checks, whiteout names) → tar -x
// then turns OCI whiteouts into overlay ones with a second GNU tar pass of a
// small generated archive (0:0 character devices, trusted.overlay.opaque=y).
import { spawn } from 'node:child_process';
import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarScanner } from '../image/tar-scan.js';
import { tarBuffer, type TarHeader } from '../image/tar-write.js';
import { OVERLAY_OPAQUE_XATTR, type Whiteout } from '../image/whiteout.js';
import { HashingPassThrough, type ContentStore, type Ingested } from './content.js';
import { decompressor, detectCompression, LAYER_MEDIA_TYPE, peek, type Compression } from './decompress.js';

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
    this.out = createWriteStream(file, { mode: 0o600 });
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

/** tar's stdin as a sink; once the archive end was seen, tar may exit before reading the padding. */
class ChildStdin extends Writable {
  constructor(
    private readonly stdin: NodeJS.WritableStream & { on(ev: 'error', fn: (e: Error) => void): unknown },
    private readonly archiveEnded: () => boolean,
  ) {
    super();
    stdin.on('error', () => undefined); // reported through the write callbacks
  }
  private gone = false;
  override _write(chunk: Buffer, _e: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.gone) return cb();
    this.stdin.write(chunk, (err) => {
      if (err && (err as NodeJS.ErrnoException).code === 'EPIPE' && this.archiveEnded()) {
        this.gone = true;
        return cb();
      }
      cb(err ?? null);
    });
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

/**
 * Unpacks `source` (gzip/zstd/xz/bzip2 or plain tar) into `dir`, which must be
 * a fresh empty directory. The blob is committed to `content` only when the
 * unpack succeeded.
 */
export async function unpackLayer(source: Readable, dir: string, content: ContentStore): Promise<UnpackResult> {
  const compression = detectCompression(await peek(source, 6));
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const blobFile = content.ingestPath();
  const blobHash = new HashingPassThrough();
  const diffHash = new HashingPassThrough();
  const scanner = new TarScanner();
  const tar = runTar(['-x', '-f', '-', '-C', dir, ...TAR_EXTRACT_FLAGS, '--exclude=.wh.*']);
  try {
    try {
      await pipeline(
        source,
        blobHash,
        new FileTee(blobFile),
        decompressor(compression),
        diffHash,
        scanner,
        new ChildStdin(tar.child.stdin!, () => scanner.result.ended),
      );
    } catch (e) {
      tar.child.kill('SIGKILL');
      await tar.done.catch(() => undefined);
      throw e;
    }
    await tar.done;
    if (scanner.result.whiteouts.length) await applyWhiteouts(dir, scanner.result.whiteouts);
    const blob = await content.commit(blobFile, blobHash.digest(), blobHash.size);
    return {
      diffId: diffHash.digest(),
      blob,
      mediaType: LAYER_MEDIA_TYPE[compression],
      compression,
      size: scanner.result.contentSize,
    };
  } finally {
    await fs.rm(blobFile, { force: true });
  }
}

/** Ownership, mode and mtime of an existing directory, to re-apply after pass 2. */
async function dirHeader(dir: string, rel: string, extra: Partial<TarHeader> = {}): Promise<TarHeader> {
  try {
    const st = await fs.lstat(Buffer.from(path.join(dir, rel), 'latin1'));
    if (st.isDirectory())
      return { name: rel, type: 'dir', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000), ...extra };
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
  const tar = runTar(['-x', '-f', '-', '-C', dir, '--no-same-owner', '--no-same-permissions', '--warning=no-unknown-keyword', '--warning=no-timestamp']);
  try {
    await pipeline(source, decompressor(compression), scanner, new ChildStdin(tar.child.stdin!, () => scanner.result.ended));
  } catch (e) {
    tar.child.kill('SIGKILL');
    await tar.done.catch(() => undefined);
    throw e;
  }
  await tar.done;
}
