// Renders Docker JSON progress streams (pull, push, load, import, build) the
// way docker's jsonmessage package does: per-ID lines redrawn in place with
// progress bars on a terminal, plain status lines otherwise.
import type { Readable } from 'node:stream';
import { humanSize, rfc3339NanoFixed } from './units.js';

export interface JsonProgress {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

export interface JsonMessage {
  stream?: string;
  status?: string;
  progress?: string; // deprecated pre-rendered progress
  progressDetail?: JsonProgress;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string };
  error?: string;
  aux?: unknown;
}

/** A stream message carrying an error; the CLI prints its text and exits with its code (or 1). */
export class JsonMessageError extends Error {
  constructor(
    message: string,
    readonly code = 0,
  ) {
    super(message);
  }
}

const ESC = '\x1b[';

/** Go's time.Duration.String() for whole seconds ("1m5s", "3s", "1h0m0s"). */
function goDurationSeconds(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s === 0) return '0s';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h}h${m}m${sec}s`;
  if (m) return `${m}m${sec}s`;
  return `${sec}s`;
}

/** JSONProgress.String(): bar (terminals wider than 110), counts, time left. */
export function progressString(p: JsonProgress, termWidth = 200, nowMs = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize(current, 4).padStart(8);
  let percentage = Math.trunc(Math.trunc((current / total) * 100) / 2);
  if (percentage > 50) percentage = 50;
  let bar = '';
  if (termWidth > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(50 - percentage, 0))}] `;
  let numbers = '';
  if (p.hidecounts) numbers = '';
  else if (!p.units) {
    const cur = humanSize(current, 4).padStart(8);
    numbers = current > total ? cur : `${cur}/${humanSize(total, 4)}`;
  } else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  let left = '';
  if (current > 0 && p.start && p.start > 0 && percentage < 50) {
    const fromStart = nowMs / 1000 - p.start;
    left = ' ' + goDurationSeconds(((total - current) * fromStart) / current);
  }
  return bar + numbers + left;
}

export interface DisplayOptions {
  isTerminal: boolean;
  /** Terminal columns (bars need more than 110). */
  width?: number;
  onAux?: (msg: JsonMessage) => void;
}

/** JSONMessage.Display: one message, returns the text to write. */
export function displayMessage(jm: JsonMessage, opts: DisplayOptions): string {
  let s = '';
  let endl = '';
  const progress = jm.progressDetail && Object.keys(jm.progressDetail).length ? jm.progressDetail : undefined;
  const bar = progress ? progressString(progress, opts.width ?? 200) : '';
  if (opts.isTerminal && !jm.stream && progress) {
    endl = '\r';
    s += `${ESC}2K` + endl;
  } else if (progress && bar !== '') return ''; // no progress bars off a terminal
  if (jm.timeNano) s += rfc3339NanoFixed(BigInt(jm.timeNano)) + ' ';
  else if (jm.time) s += rfc3339NanoFixed(BigInt(jm.time) * 1_000_000_000n) + ' ';
  if (jm.id) s += `${jm.id}: `;
  if (jm.from) s += `(from ${jm.from}) `;
  if (progress && opts.isTerminal) s += `${jm.status ?? ''} ${bar}${endl}`;
  else if (jm.progress) s += `${jm.status ?? ''} ${jm.progress}${endl}`;
  else if (jm.stream) s += jm.stream + endl;
  else s += `${jm.status ?? ''}${endl}\n`;
  return s;
}

/**
 * DisplayJSONMessagesStream: renders every message of a JSON-lines stream to
 * `out`; rejects with JsonMessageError at the first error message.
 */
export async function displayJsonStream(
  input: Readable,
  out: NodeJS.WritableStream,
  opts: DisplayOptions,
): Promise<void> {
  let ids = new Map<string, number>();
  const handle = (jm: JsonMessage): void => {
    if (jm.errorDetail || jm.error) {
      const msg = jm.errorDetail?.message ?? jm.error ?? '';
      throw new JsonMessageError(msg, jm.errorDetail?.code ?? 0);
    }
    if (jm.aux !== undefined) {
      opts.onAux?.(jm);
      return;
    }
    let diff = 0;
    const hasProgress = jm.progressDetail && Object.keys(jm.progressDetail).length > 0;
    if (jm.id && (hasProgress || jm.progress)) {
      let line = ids.get(jm.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(jm.id, line);
        if (opts.isTerminal) out.write('\n');
      }
      diff = ids.size - line;
      if (opts.isTerminal && diff > 0) out.write(`${ESC}${diff}A`);
    } else {
      // Anything that is not progress ends the set of lines being redrawn.
      ids = new Map();
    }
    out.write(displayMessage(jm, opts));
    if (jm.id && opts.isTerminal && diff > 0) out.write(`${ESC}${diff}B`);
  };
  let buf = '';
  for await (const chunk of input) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) handle(JSON.parse(line) as JsonMessage);
    }
  }
  if (buf.trim()) handle(JSON.parse(buf) as JsonMessage);
}
