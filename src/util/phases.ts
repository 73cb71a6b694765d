// Wall-clock timings of the steps of one operation, logged at debug level as
// one line (`phases="mount=3 create=41 start=12" total=56`), so a slow
// `docker run` shows where its time went without a profiler.
import type { Logger } from './log.js';

export class Phases {
  private readonly t0 = performance.now();
  private last = this.t0;
  private readonly parts: string[] = [];

  constructor(
    private readonly log: Logger,
    private readonly what: string,
    private readonly fields: Record<string, unknown> = {},
  ) {}

  /** Ends the step running since the previous mark. */
  mark(step: string): void {
    if (!this.log.enabled('debug')) return;
    const now = performance.now();
    this.parts.push(`${step}=${Math.round(now - this.last)}`);
    this.last = now;
  }

  done(): void {
    if (!this.log.enabled('debug')) return;
    const total = Math.round(performance.now() - this.t0);
    this.log.debug(this.what, { ...this.fields, phases: this.parts.join(' '), total });
  }
}
