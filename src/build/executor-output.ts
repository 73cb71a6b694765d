// The legacy builder's JSON stream, kept readable when stages build side by
// side: one stage at a time streams its current step live; the others
// buffer each step and flush it whole once the live step is over. Before a
// step of a multi-stage build goes out, an `aux` stage marker
// ({"aux":{"berth.stage":{…}}}) tells berth's progress view which stage the
// lines belong to; the docker CLI ignores aux messages it does not know.

import type { StageMarker } from './types.js';

export type { StageMarker };
export type Message = Record<string, unknown>;

export class BuildOutput {
  private live: StageOutput | null = null;
  private readonly pending: Message[][] = [];
  private closed = false;

  constructor(
    private readonly send: (m: Message) => void,
    /** q=1: only the final image ID and errors go out. */
    readonly quiet: boolean,
    /** Emit stage markers (multi-stage builds). */
    readonly markers: boolean,
  ) {}

  /** A writer for one stage. */
  stage(index: number, name?: string): StageOutput {
    return new StageOutput(this, index, name);
  }

  /** Lines outside any stage (meta ARGs, the final messages). */
  text(s: string): void {
    this.emit({ stream: s });
  }

  emit(m: Message): void {
    if (this.closed) return;
    if (this.quiet && !('error' in m)) return;
    this.send(m);
  }

  /** The end of a successful build: q=1 answers only the image ID as a stream line (as dockerd does). */
  finish(imageId: string, tags: string[]): void {
    if (this.quiet) {
      this.send({ stream: `${imageId}\n` });
      return;
    }
    this.emit({ aux: { ID: imageId } });
    this.text(`Successfully built ${imageId.replace(/^sha256:/, '').slice(0, 12)}\n`);
    for (const t of tags) this.text(`Successfully tagged ${t}\n`);
  }

  /** @internal */
  begin(s: StageOutput): void {
    if (!this.live) {
      this.live = s;
      s.buffer = null;
    } else s.buffer = [];
  }

  /** @internal */
  end(s: StageOutput): void {
    if (this.live === s) this.live = null;
    else if (s.buffer) this.pending.push(s.buffer);
    s.buffer = null;
    if (!this.live)
      for (let b = this.pending.shift(); b; b = this.pending.shift()) for (const m of b) this.emit(m);
  }

  /** Drops whatever is still buffered (the build failed or was cancelled). */
  close(): void {
    this.closed = true;
  }
}

export class StageOutput {
  /** null while this stage streams live. */
  buffer: Message[] | null = null;
  private inStep = false;

  constructor(
    private readonly out: BuildOutput,
    readonly index: number,
    readonly name: string | undefined,
  ) {}

  /** Starts a step: "Step N/M : <instruction>". */
  step(n: number, total: number, original: string): void {
    if (this.inStep) this.endStep(n - 1, total);
    this.inStep = true;
    this.out.begin(this);
    this.marker(n, total, 'start');
    this.write({ stream: `Step ${n}/${total} : ${original}` });
    this.write({ stream: '\n' });
  }

  endStep(n: number, total: number): void {
    if (!this.inStep) return;
    this.marker(n, total, 'done');
    this.inStep = false;
    this.out.end(this);
  }

  text(s: string): void {
    this.write({ stream: s });
  }

  /** RUN output: stderr in red as the legacy builder colours it. */
  output(fd: 1 | 2, data: Buffer): void {
    const s = data.toString('utf8');
    this.write({ stream: fd === 2 ? `\u001b[91m${s}\u001b[0m` : s });
  }

  write(m: Message): void {
    if (this.buffer) this.buffer.push(m);
    else this.out.emit(m);
  }

  private marker(step: number, total: number, state: StageMarker['state']): void {
    if (!this.out.markers) return;
    const marker: StageMarker = {
      index: this.index,
      ...(this.name ? { name: this.name } : {}),
      step,
      total,
      state,
    };
    this.write({ aux: { 'berth.stage': marker } });
  }
}
