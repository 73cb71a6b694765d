// Hijacked attach/exec sessions: copies stdin to the connection (watching for
// the detach keys on a TTY), and the connection to stdout/stderr, either raw
// (TTY) or demultiplexed from docker's 8-byte frame headers.
import type { Duplex, Readable } from 'node:stream';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** term.ToBytes: "ctrl-p,ctrl-q" → [0x10, 0x11]; "a" → 'a'. */
export function parseDetachKeys(keys: string): number[] {
  const out: number[] = [];
  for (const key of keys.split(',')) {
    const k = key.trim();
    if (k.length > 1 && !k.toLowerCase().startsWith('ctrl-')) throw new Error(`Unknown character: '${k}'`);
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const c = k.slice(5).toLowerCase();
    if (c.length !== 1) throw new Error(`Unknown character: '${k}'`);
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 'a'.charCodeAt(0) + 1);
    else if (c === '@') out.push(0);
    else if ('[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - '['.charCodeAt(0) + 27);
    else throw new Error(`Unknown character: '${k}'`);
  }
  return out;
}

/**
 * term.EscapeProxy: passes input through, holding back bytes that may start
 * the escape sequence; reports when the whole sequence was typed.
 */
export class EscapeDetector {
  private held: number[] = [];
  constructor(private readonly keys: number[]) {}

  /** Returns the bytes to forward and whether the sequence completed. */
  feed(chunk: Buffer): { forward: Buffer; escaped: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.held.length]) {
        this.held.push(b);
        if (this.held.length === this.keys.length) return { forward: Buffer.from(out), escaped: true };
        continue;
      }
      // Not the sequence after all: release what was held back.
      out.push(...this.held);
      this.held = [];
      if (b === this.keys[0]) {
        this.held.push(b);
        if (this.keys.length === 1) return { forward: Buffer.from(out), escaped: true };
      } else out.push(b);
    }
    return { forward: Buffer.from(out), escaped: false };
  }
}

/** stdcopy.StdCopy: frames of [stream, 0, 0, 0, size(4, BE)] + payload. */
export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly stdout: NodeJS.WritableStream,
    private readonly stderr: NodeJS.WritableStream,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const payload = this.buf.subarray(8, 8 + size);
      const stream = this.buf[0];
      if (stream === 2) this.stderr.write(payload);
      else if (stream === 0 || stream === 1) this.stdout.write(payload);
      else if (stream === 3) this.stderr.write(payload); // systemerr: the daemon's own error
      this.buf = this.buf.subarray(8 + size);
    }
  }
}

export interface SessionOptions {
  conn: Duplex;
  tty: boolean;
  stdin?: Readable;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Client-side detach detection (TTY sessions, like docker). */
  detachKeys?: number[];
}

export type SessionEnd = 'output-closed' | 'detached';

/**
 * Runs a hijacked session until the daemon closes the output, or the user
 * types the detach keys. Our stdin's EOF half-closes the connection so the
 * container sees EOF while its output keeps flowing.
 */
export function runSession(o: SessionOptions): Promise<SessionEnd> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (end: SessionEnd): void => {
      if (done) return;
      done = true;
      if (o.stdin) {
        o.stdin.off('data', onInput);
        o.stdin.off('end', onInputEnd);
        o.stdin.pause();
      }
      resolve(end);
    };
    const demux = o.tty ? undefined : new Demuxer(o.stdout, o.stderr);
    o.conn.on('data', (c: Buffer) => (demux ? demux.push(c) : o.stdout.write(c)));
    o.conn.once('end', () => finish('output-closed'));
    o.conn.once('close', () => finish('output-closed'));
    o.conn.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish('output-closed');
      else if (!done) {
        done = true;
        reject(e);
      }
    });

    const detector = o.tty && o.detachKeys?.length ? new EscapeDetector(o.detachKeys) : undefined;
    const onInput = (c: Buffer): void => {
      if (!detector) {
        o.conn.write(c);
        return;
      }
      const { forward, escaped } = detector.feed(c);
      if (escaped) {
        // Keystrokes before the sequence still go in; then drop the connection
        // (no half-close: that would close a StdinOnce container's stdin).
        o.conn.write(forward, () => o.conn.destroy());
        finish('detached');
      } else if (forward.length) o.conn.write(forward);
    };
    const onInputEnd = (): void => {
      if (!done) o.conn.end(); // half-close: CloseWrite
    };
    if (o.stdin) {
      o.stdin.on('data', onInput);
      o.stdin.once('end', onInputEnd);
      o.stdin.resume();
    }
  });
}
