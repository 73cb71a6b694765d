// `docker logs` and attach's `logs=1` replay in Docker's shape, over the
// runtime's k8s-file reader (src/runtime/logs.ts, which also follows rotated
// and replaced files): stream selection, RFC3339NanoFixed timestamps,
// `--details` attributes, tail/since/until, follow until the container stops.
import { InvalidArgument } from '../api/errors.js';
import { parseUnixTimestamp, readLogBatches, type LogRecord } from '../runtime/logs.js';
import type { ContainerService } from './containers.js';
import type { ContainerRecord } from './containers-model.js';

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  details?: boolean;
  tail?: string;
  since?: string;
  until?: string;
}

/** Writes one frame; false asks the writer to wait for `drained` (back-pressure). */
export type LogWrite = (stream: 1 | 2, data: Buffer) => boolean | void;

/** Go's RFC3339NanoFixed in UTC: always nine fraction digits. */
export function formatLogTime(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  return `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** Docker's `since`/`until` query values: unix seconds with optional fraction. Empty or 0 means unset. */
export function parseLogTime(name: string, v: string | undefined): bigint | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  const ns = parseUnixTimestamp(v);
  if (ns === undefined) throw new InvalidArgument(`invalid value for ${name}: ${v}`);
  return ns;
}

/** `tail`: a line count; "all", empty or negative keeps everything. */
export function parseTail(tail: string | undefined): number | undefined {
  if (tail === undefined || tail === '' || tail === 'all') return undefined;
  const n = Number(tail);
  if (!Number.isInteger(n)) throw new InvalidArgument(`invalid value for tail: ${tail}`);
  return n < 0 ? undefined : n;
}

/** Go's url.QueryEscape: space as '+', everything but [A-Za-z0-9-_.~] percent-encoded. */
function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (ch) => '%' + ch.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * What `docker logs --details` prints before each line: the attributes the
 * log options ask for (`labels`, `labels-regex`, `env`, `env-regex`), sorted,
 * as query-escaped k=v pairs joined by commas; empty when none are set.
 */
export function logAttributes(c: Pick<ContainerRecord, 'config' | 'hostConfig'>): string {
  const opts = c.hostConfig.LogConfig?.Config ?? {};
  const labels = c.config.Labels ?? {};
  const env = new Map<string, string>();
  for (const e of c.config.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) env.set(e.slice(0, eq), e.slice(eq + 1));
  }
  const attrs = new Map<string, string>();
  const pick = (names: string | undefined, from: Map<string, string>): void => {
    for (const k of names ? names.split(',') : []) if (from.has(k)) attrs.set(k, from.get(k)!);
  };
  const match = (pattern: string | undefined, from: Map<string, string>): void => {
    if (!pattern) return;
    const re = new RegExp(pattern);
    for (const [k, v] of from) if (re.test(k)) attrs.set(k, v);
  };
  const labelMap = new Map(Object.entries(labels));
  pick(opts.labels, labelMap);
  match(opts['labels-regex'], labelMap);
  pick(opts.env, env);
  match(opts['env-regex'], env);
  return [...attrs]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`)
    .join(',');
}

/** One record as Docker writes it: [timestamp ' '] [attributes ' '] line. */
export function formatRecord(r: LogRecord, o: { timestamps: boolean; details?: string }): Buffer {
  let prefix = '';
  if (o.timestamps) prefix += formatLogTime(r.timeNs) + ' ';
  if (o.details !== undefined) prefix += o.details + ' ';
  return prefix ? Buffer.concat([Buffer.from(prefix), r.data]) : r.data;
}

/**
 * Checks the options (so a bad value is an HTTP error, not a broken stream)
 * and returns the writer of the log: it resolves when the stored log is sent
 * or, with follow, once the container stops and the file is drained, or the
 * client goes away. Records are sent a file chunk at a time, consecutive
 * records of one stream in one frame, and the reader waits for `drained`
 * whenever the client falls behind, so memory stays bounded for any log size.
 */
export function openLogs(
  svc: ContainerService,
  c: ContainerRecord,
  opts: LogsOptions,
): (write: LogWrite, signal: AbortSignal, drained?: () => Promise<void>) => Promise<void> {
  if (!opts.stdout && !opts.stderr) throw new InvalidArgument('You must choose at least one stream');
  const sinceNs = parseLogTime('since', opts.since);
  const untilNs = parseLogTime('until', opts.until);
  const tail = parseTail(opts.tail);
  const details = opts.details ? logAttributes(c) : undefined;
  return async (write, signal, drained) => {
    // Following ends when the container stops for good (a restart keeps it going) or is removed.
    const stopWhen =
      opts.follow && svc.store.has(c.id) && c.state.Running
        ? svc.lifecycle.wait(c, 'not-running', signal)
        : Promise.resolve();
    const batches = readLogBatches(svc.paths(c.id).log, {
      stdout: opts.stdout,
      stderr: opts.stderr,
      sinceNs,
      untilNs,
      tail,
      follow: opts.follow,
      stopWhen,
      signal,
    });
    const fmt = { timestamps: opts.timestamps, details };
    for await (const batch of batches) {
      const ok = writeBatch(batch, fmt, write);
      if (signal.aborted) return;
      if (!ok && drained) await drained();
    }
  };
}

/** Writes records, joining runs of one stream into one frame; false when the writer asked to wait. */
function writeBatch(batch: LogRecord[], fmt: { timestamps: boolean; details?: string }, write: LogWrite): boolean {
  let ok = true;
  let run: Buffer[] = [];
  let stream: 1 | 2 = 1;
  const flush = (): void => {
    if (!run.length) return;
    if (write(stream, run.length === 1 ? run[0] : Buffer.concat(run)) === false) ok = false;
    run = [];
  };
  for (const r of batch) {
    const s = r.stream === 'stdout' ? 1 : 2;
    if (s !== stream) flush();
    stream = s;
    run.push(formatRecord(r, fmt));
  }
  flush();
  return ok;
}
