// Docker's JSON progress messages for pull and push (one JSON object per
// line), with byte progress throttled to one message per layer per 100 ms.
import { Transform, type TransformCallback } from 'node:stream';

export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: unknown;
  errorDetail?: { message: string };
  error?: string;
}

export type ProgressSink = (msg: ProgressMessage) => void;

/** Docker's stringid.TruncateID of a digest: 12 hex characters. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

export class Progress {
  constructor(private readonly sink: ProgressSink) {}

  status(status: string, id?: string): void {
    this.sink(id === undefined ? { status } : { status, progressDetail: {}, id });
  }

  message(msg: ProgressMessage): void {
    this.sink(msg);
  }

  /** A pass-through that reports bytes as `status` with current/total. */
  meter(status: string, id: string, total: number, start = 0): Transform {
    let current = start;
    let last = 0;
    const report = (): void => this.sink({ status, progressDetail: { current, total }, id });
    return new Transform({
      transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
        current += chunk.length;
        const now = Date.now();
        if (now - last >= 100) {
          last = now;
          report();
        }
        cb(null, chunk);
      },
      flush(cb: TransformCallback): void {
        report();
        cb();
      },
    });
  }
}
