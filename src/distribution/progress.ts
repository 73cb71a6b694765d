// Docker's JSON progress messages for pull and push (one JSON object per
// line), with byte progress throttled to one message per layer per 100 ms.
import { Transform, type TransformCallback } from 'node:stream';
// Pure formatting shared with the CLI: dockerd renders the same bar into its messages.
import { progressString } from '../cli/format/progress.js';

export interface ProgressMessage {
  status?: string;
  progressDetail?: { current?: number; total?: number };
  /** The bar as text (dockerd's deprecated `progress` field; load and import send it). */
  progress?: string;
  id?: string;
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

  /**
   * A pass-through that reports bytes as `status` with current/total; with
   * `rendered`, also the bar as text, and no id when `id` is empty (import).
   */
  meter(status: string, id: string, total: number, start = 0, rendered = false): Transform {
    let current = start;
    let last = 0;
    const report = (): void => {
      const msg: ProgressMessage = { status, progressDetail: { current, total } };
      if (rendered) msg.progress = progressString({ current, total });
      if (id || !rendered) msg.id = id;
      this.sink(msg);
    };
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
