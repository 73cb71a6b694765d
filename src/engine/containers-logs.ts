// `docker logs`: reads the monitor's k8s-file log ("<time> <stream> <P|F>
// <text>") and answers in Docker's shape (framed unless TTY, optional
// RFC3339NanoFixed timestamps, tail/since/until, follow until the container
// stops).
import { promises as fs } from 'node:fs';
import { InvalidArgument } from '../api/errors.js';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  /** The text with its newline (partial entries have none). */
  data: Buffer;
}

export interface LogWindow {
  sinceNs?: bigint;
  untilNs?: bigint;
}

/** "2024-01-01T00:00:00.123456789+00:00" → ns since the epoch. */
export function parseK8sTime(t: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(t);
  if (!m) throw new Error(`bad log time ${t}`);
  const secMs = Date.parse(m[1] + (m[3] === 'Z' ? 'Z' : m[3]));
  return BigInt(secMs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

/** Go's RFC3339NanoFixed in UTC: always nine fraction digits. */
export function formatLogTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString().slice(0, 19);
  return `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** Parses complete lines of a k8s-file log; returns entries and the bytes consumed. */
export function parseK8sLog(buf: Buffer): { entries: LogEntry[]; used: number } {
  const entries: LogEntry[] = [];
  let off = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, off);
    if (nl < 0) break;
    const line = buf.subarray(off, nl);
    off = nl + 1;
    const s1 = line.indexOf(0x20);
    const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
    const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1);
    if (s3 < 0) continue;
    const stream = line.subarray(s1 + 1, s2).toString();
    if (stream !== 'stdout' && stream !== 'stderr') continue;
    const partial = line.subarray(s2 + 1, s3).toString() === 'P';
    let timeNs: bigint;
    try {
      timeNs = parseK8sTime(line.subarray(0, s1).toString());
    } catch {
      continue;
    }
    const text = line.subarray(s3 + 1);
    entries.push({ stream, timeNs, data: partial ? Buffer.from(text) : Buffer.concat([text, Buffer.from('\n')]) });
  }
  return { entries, used: off };
}

export async function readLogEntries(file: string, w: LogWindow): Promise<LogEntry[]> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(file);
  } catch {
    return [];
  }
  return parseK8sLog(buf).entries.filter((e) => inWindow(e, w));
}

export function inWindow(e: LogEntry, w: LogWindow): boolean {
  return (w.sinceNs === undefined || e.timeNs >= w.sinceNs) && (w.untilNs === undefined || e.timeNs <= w.untilNs);
}

/** Docker's `since`/`until` query values: unix seconds with optional fraction. 0 means unset. */
export function parseLogTime(name: string, v: string | undefined): bigint | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (!m) throw new InvalidArgument(`invalid value for ${name}: ${v}`);
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

/** The last `n` entries (Docker counts lines, i.e. entries); "all" or negative keeps everything. */
export function tailEntries(entries: LogEntry[], tail: string | undefined): LogEntry[] {
  if (tail === undefined || tail === '' || tail === 'all') return entries;
  const n = Number(tail);
  if (!Number.isInteger(n)) throw new InvalidArgument(`invalid value for tail: ${tail}`);
  if (n < 0) return entries;
  return n === 0 ? [] : entries.slice(-n);
}

/**
 * Follows the log file from byte `offset`, calling `emit` for new entries,
 * until `stopped()` says the container is done and the file is drained, or
 * `abort` fires.
 */
export async function followLog(
  file: string,
  offset: number,
  emit: (e: LogEntry) => void,
  stopped: () => boolean,
  abort: AbortSignal,
): Promise<void> {
  let pos = offset;
  let rest: Buffer = Buffer.alloc(0);
  while (!abort.aborted) {
    const wasStopped = stopped();
    let chunk: Buffer = Buffer.alloc(0);
    try {
      const fh = await fs.open(file, 'r');
      try {
        const { size } = await fh.stat();
        if (size < pos) pos = 0; // rotated or truncated
        if (size > pos) {
          chunk = Buffer.alloc(size - pos);
          await fh.read(chunk, 0, chunk.length, pos);
          pos = size;
        }
      } finally {
        await fh.close();
      }
    } catch {
      /* not created yet */
    }
    if (chunk.length) {
      const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const { entries, used } = parseK8sLog(buf);
      rest = Buffer.from(buf.subarray(used));
      for (const e of entries) emit(e);
    }
    if (wasStopped && chunk.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch {
    return 0;
  }
}

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  tail?: string;
  since?: string;
  until?: string;
}

/**
 * Writes the log of a container to `out` using `write(streamId, bytes)`;
 * resolves when done (follow: when the container stops or `abort` fires).
 */
export async function writeLogs(
  file: string,
  opts: LogsOptions,
  write: (stream: 1 | 2, data: Buffer) => void,
  running: () => boolean,
  abort: AbortSignal,
): Promise<void> {
  if (!opts.stdout && !opts.stderr) throw new InvalidArgument('You must choose at least one stream');
  const w: LogWindow = { sinceNs: parseLogTime('since', opts.since), untilNs: parseLogTime('until', opts.until) };
  const emit = (e: LogEntry): void => {
    if (!inWindow(e, w)) return;
    if (e.stream === 'stdout' ? !opts.stdout : !opts.stderr) return;
    const data = opts.timestamps ? Buffer.concat([Buffer.from(formatLogTime(e.timeNs) + ' '), e.data]) : e.data;
    write(e.stream === 'stdout' ? 1 : 2, data);
  };
  const size = await fileSize(file);
  let buf: Buffer = Buffer.alloc(0);
  try {
    const fh = await fs.open(file, 'r');
    try {
      buf = Buffer.alloc(size);
      await fh.read(buf, 0, size, 0);
    } finally {
      await fh.close();
    }
  } catch {
    /* no log yet */
  }
  const { entries, used } = parseK8sLog(buf);
  const selected = entries.filter((e) => inWindow(e, w) && (e.stream === 'stdout' ? opts.stdout : opts.stderr));
  for (const e of tailEntries(selected, opts.tail)) emit(e);
  if (!opts.follow || (w.untilNs !== undefined && w.untilNs <= BigInt(Date.now()) * 1_000_000n)) return;
  await followLog(file, used, emit, () => !running(), abort);
}
