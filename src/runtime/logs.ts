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
// (it writes <path>.tmp and renames it over <path>). With max-file > 1 berthd
// rotates instead (engine/containers-logrotate.ts): older generations are
// <path>.1 (newest) … <path>.N (oldest); all are read oldest first, and a
// follower finishes <path>.1 before it continues in the new file. See
// docs/logging.md.
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
  // Consecutive records share their second: Date.parse once per second, not per line.
  const key = m[1] + m[3];
  if (key !== lastSecond.key) lastSecond = { key, ns: secondNs(key) };
  if (lastSecond.ns === undefined) return undefined;
  return lastSecond.ns + BigInt((m[2] ?? '').padEnd(9, '0'));
}

let lastSecond: { key: string; ns: bigint | undefined } = { key: '', ns: undefined };

function secondNs(isoSecond: string): bigint | undefined {
  const ms = Date.parse(isoSecond);
  return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n;
}

/** Docker's since/until query values: unix seconds with an optional fraction ("1690000000.5"). */
export function parseUnixTimestamp(value: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(value.trim());
  if (!m) return undefined;
  return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * A parsed record. The text is a view into the chunk read from the file (a
 * fresh buffer per read, never reused), and the timestamp is parsed only when
 * asked for: a plain `docker logs` of millions of lines needs neither copies
 * nor date arithmetic.
 */
class StoredRecord implements LogRecord {
  private ns: bigint | undefined;
  private ts: string | undefined;
  constructor(
    private readonly buf: Buffer,
    private readonly timeStart: number,
    private readonly timeEnd: number,
    readonly stream: 'stdout' | 'stderr',
    readonly partial: boolean,
    readonly data: Buffer,
  ) {}
  get time(): string {
    return (this.ts ??= this.buf.toString('latin1', this.timeStart, this.timeEnd));
  }
  get timeNs(): bigint {
    return (this.ns ??= parseRfc3339Nano(this.time) ?? 0n);
  }
}

const SPACE = 0x20;
const NEWLINE = Buffer.from('\n');

/** "stdout" / "stderr" at buf[a..b), compared byte by byte. */
function streamAt(buf: Buffer, a: number, b: number): 'stdout' | 'stderr' | undefined {
  if (b - a !== 6 || buf[a] !== 0x73 || buf[a + 1] !== 0x74 || buf[a + 2] !== 0x64) return undefined;
  if (buf[a + 3] === 0x6f && buf[a + 4] === 0x75 && buf[a + 5] === 0x74) return 'stdout';
  if (buf[a + 3] === 0x65 && buf[a + 4] === 0x72 && buf[a + 5] === 0x72) return 'stderr';
  return undefined;
}

/**
 * The record on buf[start..end) (`end` is the newline's index, or the
 * buffer's end); `withNewline`: buf[end] is that newline and full lines may
 * keep it in their data view.
 */
function parseAt(buf: Buffer, start: number, end: number, withNewline: boolean): LogRecord | undefined {
  const s1 = buf.indexOf(SPACE, start);
  if (s1 < 0 || s1 >= end) return undefined;
  const s2 = s1 + 7;
  if (s2 >= end || buf[s2] !== SPACE) return undefined;
  const stream = streamAt(buf, s1 + 1, s2);
  if (!stream) return undefined;
  const tag = buf[s2 + 1];
  if ((tag !== 0x46 && tag !== 0x50) || s2 + 1 >= end) return undefined; // F or P
  // An empty full line may be stored without the trailing space.
  if (s2 + 2 < end && buf[s2 + 2] !== SPACE) return undefined;
  // A cheap shape check of "YYYY-MM-DDTHH:MM:SS…"; the full parse waits until asked.
  if (s1 - start < 20 || buf[start + 4] !== 0x2d || buf[start + 10] !== 0x54) return undefined;
  const textStart = Math.min(s2 + 3, end);
  const partial = tag === 0x50;
  let data: Buffer;
  if (partial) data = buf.subarray(textStart, end);
  else if (withNewline) data = buf.subarray(textStart, end + 1);
  else data = Buffer.concat([buf.subarray(textStart, end), NEWLINE]);
  return new StoredRecord(buf, start, s1, stream, partial, data);
}

/** One stored line → record, or undefined for a malformed line. */
export function parseLogLine(line: Buffer): LogRecord | undefined {
  const r = parseAt(line, 0, line.length, false);
  // Here (tests, single lines) the timestamp is checked at once.
  return r && parseRfc3339Nano(r.time) !== undefined ? r : undefined;
}

/** Existing generations of a log, oldest first. */
export function logFiles(logPath: string): string[] {
  const rotated: string[] = [];
  for (let i = 1; existsSync(`${logPath}.${i}`); i++) rotated.push(`${logPath}.${i}`);
  return [...rotated.reverse(), ...(existsSync(logPath) ? [logPath] : [])];
}

function inodeOf(file: string): number {
  try {
    return statSync(file).ino;
  } catch {
    return -1;
  }
}

/** Bytes read per step: records are parsed (and copied out) before the next read. */
const CHUNK = 256 * 1024;

/** Reads a file from an offset, remembering where it stopped (and which inode it read). */
class FileCursor {
  private offset = 0;
  private ino = -1;
  private rest: Buffer = Buffer.alloc(0);
  constructor(private readonly file: string) {}

  /**
   * New complete records since the last call, one chunk of the file at a
   * time (memory stays bounded for any log size); restarts after truncation
   * or replacement. Malformed lines are skipped.
   */
  *records(): Generator<LogRecord[]> {
    // Rotated since the last call (berthd renamed the file to <path>.1): finish the old one first.
    const prev = `${this.file}.1`;
    if (this.ino !== -1 && inodeOf(this.file) !== this.ino && inodeOf(prev) === this.ino) yield* this.readFrom(prev);
    yield* this.readFrom(this.file);
  }

  private *readFrom(file: string): Generator<LogRecord[]> {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return;
    }
    try {
      const st = fstatSync(fd);
      if (st.ino !== this.ino || st.size < this.offset) {
        this.ino = st.ino;
        this.offset = 0;
        this.rest = Buffer.alloc(0);
      }
      for (;;) {
        // A fresh buffer per read: the records keep views into it.
        const buf = Buffer.allocUnsafeSlow(CHUNK);
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) return;
        this.offset += n;
        const data = this.rest.length ? Buffer.concat([this.rest, buf.subarray(0, n)]) : buf.subarray(0, n);
        const out: LogRecord[] = [];
        let start = 0;
        let nl: number;
        while ((nl = data.indexOf(0x0a, start)) >= 0) {
          const r = parseAt(data, start, nl, true);
          if (r) out.push(r);
          start = nl + 1;
        }
        // The unfinished line is copied so the chunk is not kept alive by it.
        this.rest = Buffer.from(data.subarray(start));
        if (out.length) yield out;
      }
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

/** The wanted records of a batch; `done` once a record is past `until` (nothing after it is sent). */
function select(batch: LogRecord[], o: ReadLogsOptions): { out: LogRecord[]; done: boolean } {
  const out: LogRecord[] = [];
  for (const r of batch) {
    if (o.untilNs !== undefined && r.timeNs > o.untilNs) return { out, done: true };
    if (wanted(r, o)) out.push(r);
  }
  return { out, done: false };
}

/** The last `n` records of all generations, holding at most about 2n records at a time. */
function lastRecords(files: Generator<LogRecord[]>[], n: number): LogRecord[] {
  let kept: LogRecord[] = [];
  for (const gen of files)
    for (const batch of gen) {
      for (const r of batch) kept.push(r);
      if (kept.length > 2 * n + CHUNK / 64) kept = kept.slice(kept.length - n);
    }
  return n === 0 ? [] : kept.slice(Math.max(0, kept.length - n));
}

/**
 * Yields log records in batches (one per chunk of the file): first what is
 * stored (all generations, honouring tail, since and until), then, with
 * `follow`, new records as they are written.
 */
export async function* readLogBatches(logPath: string, o: ReadLogsOptions = {}): AsyncGenerator<LogRecord[]> {
  const current = new FileCursor(logPath);
  const gens = () => logFiles(logPath).map((f) => (f === logPath ? current : new FileCursor(f)).records());
  if (o.tail !== undefined && o.tail >= 0) {
    const last = lastRecords(gens(), o.tail);
    for (let i = 0; i < last.length; i += 4096) {
      const { out, done } = select(last.slice(i, i + 4096), o);
      if (out.length) yield out;
      if (done) return;
    }
  } else {
    for (const gen of gens())
      for (const batch of gen) {
        const { out, done } = select(batch, o);
        if (out.length) yield out;
        if (done) return;
      }
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
      for (const batch of current.records()) {
        const { out, done } = select(batch, o);
        if (out.length) yield out;
        if (done) return;
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

/** readLogBatches one record at a time. */
export async function* readLogs(logPath: string, o: ReadLogsOptions = {}): AsyncGenerator<LogRecord> {
  for await (const batch of readLogBatches(logPath, o)) yield* batch;
}

/** Size in bytes of all generations (for `docker system df`-like reports). */
export function logSize(logPath: string): number {
  return logFiles(logPath).reduce((n, f) => n + statSync(f).size, 0);
}
