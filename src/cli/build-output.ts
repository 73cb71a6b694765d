// Rendering the legacy builder's JSON stream. `plain` is exactly what the
// docker CLI prints (jsonmessage: `stream` text as is, aux.ID remembered,
// the first error ends it). `tty` prints the same text and keeps a footer of
// one line per build stage (from the daemon's `berth.stage` aux markers) that
// is redrawn as steps start and finish, then removed, so the scrollback holds
// the plain output only.
import type { Readable } from 'node:stream';
import type { StageMarker } from '../build/types.js';
import { displayJsonStream, displayMessage, JsonMessageError, type JsonMessage } from './format/progress.js';

export interface RenderOptions {
  view: 'plain' | 'tty';
  isTerminal: boolean;
  onImageId: (id: string) => void;
}

export interface BuildFailure {
  message: string;
  code: number;
}

/** Renders the stream; resolves with the error message the build ended with, if any. */
export async function renderBuildStream(
  body: Readable,
  out: NodeJS.WritableStream,
  opts: RenderOptions,
): Promise<BuildFailure | undefined> {
  const view = opts.view === 'tty' ? new StageView(out) : undefined;
  const onAux = (jm: JsonMessage): void => {
    const aux = jm.aux as { ID?: string; 'berth.stage'?: StageMarker } | null;
    if (aux && typeof aux.ID === 'string') opts.onImageId(aux.ID);
    if (aux && aux['berth.stage']) view?.marker(aux['berth.stage']);
  };
  try {
    if (view) await eachMessage(body, (jm) => view.message(jm, onAux));
    else await displayJsonStream(body, out, { isTerminal: opts.isTerminal, onAux });
  } catch (e) {
    if (e instanceof JsonMessageError) {
      view?.finish();
      return { message: e.message, code: e.code };
    }
    throw e;
  }
  view?.finish();
  return undefined;
}

async function eachMessage(body: Readable, fn: (jm: JsonMessage) => void): Promise<void> {
  let buf = '';
  for await (const chunk of body) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) fn(JSON.parse(line) as JsonMessage);
    }
  }
  if (buf.trim()) fn(JSON.parse(buf) as JsonMessage);
}

interface StageState {
  label: string;
  step: number;
  total: number;
  state: 'start' | 'done';
}

const ESC = '\x1b[';

/** The text scrolls above a footer with one status line per stage. */
export class StageView {
  private readonly stages = new Map<number, StageState>();
  private footerLines = 0;
  private partial = '';

  constructor(private readonly out: NodeJS.WritableStream) {}

  message(jm: JsonMessage, onAux: (jm: JsonMessage) => void): void {
    if (jm.errorDetail || jm.error) {
      this.flushPartial();
      throw new JsonMessageError(jm.errorDetail?.message ?? jm.error ?? '', jm.errorDetail?.code ?? 0);
    }
    if (jm.aux !== undefined) return onAux(jm);
    if (jm.stream !== undefined) return this.text(jm.stream);
    // Pull progress while resolving FROM: plain status lines keep the footer intact.
    const s = displayMessage(jm, { isTerminal: false });
    if (s) this.text(s);
  }

  marker(m: StageMarker): void {
    this.stages.set(m.index, {
      label: m.name ? `[${m.name}]` : `[stage ${m.index}]`,
      step: m.step,
      total: m.total,
      state: m.state,
    });
    this.redraw('');
  }

  /** Whole lines go above the footer; a partial line waits for its end. */
  private text(s: string): void {
    const all = this.partial + s;
    const cut = all.lastIndexOf('\n');
    if (cut < 0) {
      this.partial = all;
      return;
    }
    this.partial = all.slice(cut + 1);
    this.redraw(all.slice(0, cut + 1));
  }

  private flushPartial(): void {
    const rest = this.partial;
    this.partial = '';
    this.redraw(rest);
  }

  private redraw(text: string): void {
    let s = this.clearFooter();
    s += text;
    const lines = this.footer();
    if (lines.length) s += lines.join('\n') + '\n';
    this.footerLines = lines.length;
    this.out.write(s);
  }

  private clearFooter(): string {
    if (!this.footerLines) return '';
    return `${ESC}${this.footerLines}A\r${ESC}J`;
  }

  footer(): string[] {
    if (this.stages.size < 2) return [];
    return [...this.stages.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, st]) => {
        const mark = st.state === 'start' ? 'running' : 'done';
        return ` => ${st.label.padEnd(14)} step ${st.step}/${st.total} ${mark}`;
      });
  }

  /** Removes the footer and prints what is left of the text. */
  finish(): void {
    const s = this.clearFooter() + this.partial;
    this.partial = '';
    this.footerLines = 0;
    if (s) this.out.write(s);
  }
}
