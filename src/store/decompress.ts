// Detects a layer's compression by its magic bytes and returns a stream of
// the plain tar: gzip in-process, zstd/xz/bzip2 through their binaries.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Duplex, PassThrough, type Readable } from 'node:stream';
import zlib from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'zstd' | 'xz' | 'bzip2';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    return 'xz';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  return 'none';
}

export const LAYER_MEDIA_TYPE: Record<Compression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  xz: 'application/vnd.oci.image.layer.v1.tar+xz',
  bzip2: 'application/vnd.oci.image.layer.v1.tar+bzip2',
};

/** Reads at least `n` bytes (or to EOF) and puts them back, so nothing is consumed. */
export async function peek(source: Readable, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const chunk = source.read() as Buffer | null;
    if (chunk !== null) {
      parts.push(chunk);
      have += chunk.length;
      continue;
    }
    if (source.readableEnded) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const done = (v: boolean) => () => {
        source.off('readable', onReadable);
        source.off('end', onEnd);
        source.off('error', onError);
        resolve(v);
      };
      const onReadable = done(false);
      const onEnd = done(true);
      const onError = (e: Error): void => {
        source.off('readable', onReadable);
        source.off('end', onEnd);
        reject(e);
      };
      source.once('readable', onReadable);
      source.once('end', onEnd);
      source.once('error', onError);
    });
    if (ended) break;
  }
  const buf = Buffer.concat(parts);
  if (buf.length) source.unshift(buf);
  return buf;
}

const TOOL: Partial<Record<Compression, string>> = { zstd: 'zstd', xz: 'xz', bzip2: 'bzip2' };

/** A duplex stream that turns compressed bytes into the plain tar. */
export function decompressor(kind: Compression): Duplex {
  if (kind === 'none') return new PassThrough();
  // 1 MiB output chunks (zlib's default is 16 KiB): 64× fewer chunks through
  // the hash, the header scan and the pipe to tar.
  if (kind === 'gzip') return zlib.createGunzip({ chunkSize: 1 << 20 });
  const tool = TOOL[kind]!;
  if (!['/usr/bin/', '/bin/', '/usr/local/bin/'].some((d) => existsSync(d + tool)))
    throw new Error(`${kind} compressed layers need the ${tool} program, which is not installed`);
  return childFilter(tool, ['-d', '-c']);
}

/** Wraps `cmd args` (stdin → stdout) as a Duplex. */
function childFilter(cmd: string, args: string[]): Duplex {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const out = new PassThrough();
  const input = new PassThrough();
  input.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new Error(`${cmd}: exit ${code}: ${stderr.trim()}`));
  });
  return Duplex.from({ writable: input, readable: out });
}
