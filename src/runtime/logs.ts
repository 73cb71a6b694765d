// Reading container logs in conmon's k8s-file format (the CRI log format).
//
// On disk, one record per line:
//
//   <timestamp> <stream> <tag> <text>\n
//
//   timestamp  RFC 3339 with nanoseconds and a numeric offset,
//              e.g. 2026-11-28T04:04:29.738055047+00:00
//   stream     stdout | stderr
//   tag        F = the text ends a line (the newline itself is not stored)
//              P = partial: the process wrote no newline (yet); the next
//                  record of the same stream continues the line
//   text       raw bytes up to the newline
//
// With --log-size-max conmon starts a fresh file when the limit is reached
// (it writes <path>.tmp and renames it over <path>). Older generations, if a
// rotation keeps them, are <path>.1 (newest) … <path>.N (oldest); all are read
// oldest first. See docs/logging.md.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, watch } from 'node:fs';

export interface LogRecord {
  /** The timestamp exactly as stored. */
  time: string;
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  /** The bytes the process wrote, with the newline restored for full lines. */
  data: Buffer;
}

export interface ReadLogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  /** Only records at or after this time (ns since the epoch). */
  sinceNs?: bigint;
  /** Only records at or before this time (ns since the epoch). */
  untilNs?: bigint;
  /** The last N records of the log (counted over both streams, like Docker). */
  tail?: number;
  follow?: boolean;
  /** Following stops once this resolves (e.g. the container exited) and the file is drained. */
  stopWhen?: Promise<unknown>;
  signal?: AbortSignal;
}

/** "2026-…T04:04:29.738055047+00:00" → ns since the epoch. */
export function parseRfc3339Nano(ts: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return undefined;
  const secMs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secMs)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(secMs) * 1_000_000n + frac;
}

/** Docker's since/until query values: unix seconds with an optional fraction ("1690000000.5"). */
export function parseUnixTimestamp(value: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value.trim());
  if (!m) return undefined;
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** One stored line → record, or undefined for a malformed line. */
export function parseLogLine(line: Buffer): LogRecord | undefined {
  const s1 = line.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1);
  if (s3 < 0 && s2 < 0) return undefined;
  const time = line.subarray(0, s1).toString();
  const stream = line.subarray(s1 + 1, s2).toString();
  // An empty full line may be stored without the trailing space.
  const tag = line.subarray(s2 + 1, s3 < 0 ? line.length : s3).toString();
  const text = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
  const timeNs = parseRfc3339Nano(time);
  if (timeNs === undefined || (stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P'))
    return undefined;
  const partial = tag === 'P';
  return {
    time,
    timeNs,
    stream,
    partial,
    data: partial ? Buffer.from(text) : Buffer.concat([text, Buffer.from('\n')]),
  };
}

/** Existing generations of a log, oldest first. */
export function logFiles(logPath: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; existsSync(`${logPath}.${i}`); i++) rotated.push(`${logPath}.${i}`);
  return [...rotated.reverse(), ...(existsSync(logPath) ? [logPath] : [])];
}

/** Splits a byte stream into lines; keeps the unfinished tail for later. */
class LineSplitter {
  private rest = Buffer.alloc(0);
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    let i: number;
    while ((i = buf.indexOf(0x0a, start)) >= 0) {
      lines.push(buf.subarray(start, i));
      start = i + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    return lines;
  }
  reset() {
    this.rest = Buffer.alloc(0);
  }
}

/** Reads a file from an offset, remembering where it stopped (and which inode it read). */
class FileCursor {
  private offset = 0;
  private ino = -1;
  private readonly lines = new LineSplitter();
  constructor(private readonly file: string) {}

  /** New complete lines since the last call; restarts after truncation or replacement. */
  read(): Buffer[] {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const st = fstatSync(fd);
      if (st.ino !== this.ino || st.size < this.offset) {
        this.ino = st.ino;
        this.offset = 0;
        this.lines.reset();
      }
      const out: Buffer[] = [];
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        out.push(...this.lines.push(buf.subarray(0, n)));
      }
      return out;
    } finally {
      closeSync(fd);
    }
  }
}

function wanted(r: LogRecord, o: ReadLogsOptions): boolean {
  if (r.stream === 'stdout' && o.stdout === false) return false;
  if (r.stream === 'stderr' && o.stderr === false) return false;
  if (o.sinceNs !== undefined && r.timeNs < o.sinceNs) return false;
  return true;
}

/**
 * Yields log records: first what is stored (all generations, honouring tail,
 * since and until), then, with `follow`, new records as they are written.
 */
export async function* readLogs(logPath: string, o: ReadLogsOptions = {}): AsyncGenerator<LogRecord> {
  const past: LogRecord[] = [];
  const current = new FileCursor(logPath);
  for (const file of logFiles(logPath)) {
    const lines = file === logPath ? current.read() : new FileCursor(file).read();
    for (const l of lines) {
      const r = parseLogLine(l);
      if (r) past.push(r);
    }
  }
  const start = o.tail !== undefined && o.tail >= 0 ? Math.max(0, past.length - o.tail) : 0;
  for (const r of past.slice(start)) {
    if (o.untilNs !== undefined && r.timeNs > o.untilNs) return;
    if (wanted(r, o)) yield r;
  }
  if (!o.follow || o.signal?.aborted) return;

  let stopped = false;
  o.stopWhen?.then(
    () => (stopped = true),
    () => (stopped = true),
  );
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();
  const dir = logPath.slice(0, logPath.lastIndexOf('/')) || '/';
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(dir, nudge);
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  o.signal?.addEventListener('abort', nudge, { once: true });
  o.stopWhen?.then(nudge, nudge);
  try {
    for (;;) {
      const wasStopped = stopped;
      for (const l of current.read()) {
        const r = parseLogLine(l);
        if (!r) continue;
        if (o.untilNs !== undefined && r.timeNs > o.untilNs) return;
        if (wanted(r, o)) yield r;
      }
      if (o.signal?.aborted || wasStopped) return;
      if (o.untilNs !== undefined && BigInt(Date.now()) * 1_000_000n > o.untilNs) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 250);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    o.signal?.removeEventListener('abort', nudge);
  }
}

/** Size in bytes of all generations (for `docker system df`-like reports). */
export function logSize(logPath: string): number {
  return logFiles(logPath).reduce((n, f) => n + statSync(f).size, 0);
}
