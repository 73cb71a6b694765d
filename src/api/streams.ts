// Docker's stdio framing for attach, exec and logs: without a TTY every chunk
// is prefixed by an 8-byte header [stream, 0, 0, 0, size32be]; with a TTY the
// bytes go raw. The reader undoes the framing (tests, CLI).
import { Transform, type TransformCallback } from 'node:stream';
import { gte } from './version.js';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
/** Docker 1.42+ sends a "systemerr" frame (3) for errors after the stream began. */
export const SYSTEMERR = 3;

export type StreamId = 0 | 1 | 2 | 3;

export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW = 'application/vnd.docker.raw-stream';

/** The content type an attach/exec/logs answer carries (moby gates it on 1.42). */
export function streamContentType(apiVersion: string, tty: boolean): string {
  return !tty && gte(apiVersion, '1.42') ? MULTIPLEXED : RAW;
}

/** One frame: header plus payload. */
export function frame(stream: StreamId, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Writes chunks for one stream id, framed when `multiplexed`, raw otherwise. */
export function framer(write: (b: Buffer) => boolean, multiplexed: boolean) {
  return (stream: StreamId, chunk: Buffer | string): boolean => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (b.length === 0) return true;
    return write(multiplexed ? frame(stream, b) : b);
  };
}

export interface Frame {
  stream: number;
  data: Buffer;
}

/**
 * Parses a multiplexed byte stream into frames (object mode). Frames split
 * across chunks are reassembled.
 */
export class Demultiplexer extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      if (this.pending.length < 8) break;
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const f: Frame = { stream: this.pending[0], data: this.pending.subarray(8, 8 + size) };
      this.pending = this.pending.subarray(8 + size);
      this.push(f);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length) done(new Error(`truncated frame: ${this.pending.length} bytes left`));
    else done();
  }
}

/** Splits a whole multiplexed buffer into stdout and stderr text. */
export function demultiplex(buf: Buffer): { stdout: string; stderr: string; frames: Frame[] } {
  const frames: Frame[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    if (off + 8 + size > buf.length) throw new Error('truncated frame');
    frames.push({ stream: buf[off], data: buf.subarray(off + 8, off + 8 + size) });
    off += 8 + size;
  }
  if (off !== buf.length) throw new Error('truncated frame header');
  const text = (id: number): string =>
    Buffer.concat(frames.filter((f) => f.stream === id).map((f) => f.data)).toString();
  return { stdout: text(STDOUT), stderr: text(STDERR), frames };
}

/**
 * Detach keys ("ctrl-p,ctrl-q", "a,ctrl-x") to bytes, with Docker's parser
 * rules: ctrl-[a-z@[\\]^_] or one printable character per item.
 */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const key = part.trim();
    if (key.length === 1) {
      out.push(key.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(key);
    if (!m) throw new TypeError(`Unknown character: '${key}'`);
    const c = m[1].toLowerCase();
    let code: number;
    if (c >= 'a' && c <= 'z') code = c.charCodeAt(0) - 96;
    else if (c === '@') code = 0;
    else if ('[\\]^_'.includes(c)) code = c.charCodeAt(0) - 64;
    else throw new TypeError(`Unknown character: '${key}'`);
    out.push(code);
  }
  return Buffer.from(out);
}

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/**
 * Watches stdin bytes for the detach sequence. Bytes that could still be the
 * start of the sequence are held back; `feed` returns what to forward and
 * whether the sequence was completed.
 */
export class DetachWatcher {
  private held: number[] = [];

  constructor(private readonly keys: Buffer) {}

  feed(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (this.keys.length === 0) {
        out.push(byte);
        continue;
      }
      if (byte === this.keys[this.held.length]) {
        this.held.push(byte);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), detached: true };
        continue;
      }
      // Not the sequence after all: release what was held, then retry this byte.
      out.push(...this.held);
      this.held = [];
      if (byte === this.keys[0]) this.held.push(byte);
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detached: false };
  }
}
