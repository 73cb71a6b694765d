// Human-readable sizes, durations, IDs and times exactly as docker renders
// them (docker/go-units, stringid, api/types/time, jsonmessage).
import { parseGoDuration as parseGoDurationNs } from '../../util/go-duration.js';
import { goG } from './goprint.js';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]];
}

/** go-units HumanSizeWithPrecision: decimal units, `%.<precision>g` ("4.26MB", "0B"). */
export function humanSize(bytes: number, precision = 3): string {
  const [n, unit] = sizeAndUnit(bytes, 1000, DECIMAL);
  return goG(n, precision) + unit;
}

/** go-units BytesSize: binary units, `%.4g` ("23.54GiB"). */
export function bytesSize(bytes: number): string {
  const [n, unit] = sizeAndUnit(bytes, 1024, BINARY);
  return goG(n, 4) + unit;
}

/** go-units HumanDuration for a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  // Go's Duration.Round(time.Hour) rounds half away from zero.
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** "2 minutes ago" for a time given as a Date, an RFC 3339 string or unix seconds. */
export function timeAgo(t: Date | string | number, now = Date.now()): string {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t * 1000 : Date.parse(t);
  return humanDuration(now - ms) + ' ago';
}

export interface ContainerStateLike {
  Running?: boolean;
  Paused?: boolean;
  Restarting?: boolean;
  Dead?: boolean;
  RemovalInProgress?: boolean;
  ExitCode?: number;
  StartedAt?: string | Date;
  FinishedAt?: string | Date;
  Health?: { Status?: string } | null;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
function isZero(t: string | Date | undefined): boolean {
  if (t === undefined || t === '' || t === ZERO_TIME) return true;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) || ms <= -62135596800000;
}
function since(t: string | Date | undefined, now: number): string {
  return humanDuration(now - (t instanceof Date ? t.getTime() : Date.parse(t ?? '')));
}

/** The `Status` of /containers/json: "Up 3 seconds", "Exited (0) 2 minutes ago" (moby State.String). */
export function containerStatus(s: ContainerStateLike, now = Date.now()): string {
  if (s.Running) {
    if (s.Paused) return `Up ${since(s.StartedAt, now)} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode ?? 0}) ${since(s.FinishedAt, now)} ago`;
    const h = s.Health?.Status;
    if (h && h !== 'none')
      return `Up ${since(s.StartedAt, now)} (${h === 'starting' ? 'health: starting' : h})`;
    return `Up ${since(s.StartedAt, now)}`;
  }
  if (s.RemovalInProgress) return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (isZero(s.StartedAt)) return 'Created';
  if (isZero(s.FinishedAt)) return '';
  return `Exited (${s.ExitCode ?? 0}) ${since(s.FinishedAt, now)} ago`;
}

/** stringid.TruncateID: drop an algorithm prefix, keep 12 characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  if (colon >= 0) id = id.slice(colon + 1);
  return id.length > 12 ? id.slice(0, 12) : id;
}

/** A Go time.Duration string ("10m", "1h30m", "1.5s") in ms, or undefined. */
export function parseGoDuration(v: string): number | undefined {
  const ns = parseGoDurationNs(v);
  return ns === undefined ? undefined : ns / 1e6;
}

/**
 * api/types/time.GetTimestamp: what the docker CLI sends for --since/--until.
 * Durations become unix seconds before `now`; dates become "secs.nanos";
 * unix timestamps pass through.
 */
export function toApiTimestamp(value: string, now = Date.now()): string {
  const d = parseGoDuration(value);
  if (value !== '0' && d !== undefined) return String(Math.floor((now - d) / 1000));
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  const hasZone = /[zZ+]/.test(value) || (value.match(/-/g) ?? []).length === 3;
  let iso = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) iso = value + 'T00:00:00';
  else if (/T\d{2}$/.test(value)) iso = value + ':00';
  let ms = Date.parse(hasZone ? iso : iso.replace(/(\.\d+)?$/, (f) => f) + 'Z');
  if (Number.isNaN(ms)) ms = Date.parse(iso);
  if (Number.isNaN(ms)) {
    if (value.includes('-')) throw new Error(`parsing time "${value}": cannot parse`);
    throw new Error(`failed to parse value as time or duration: "${value}"`);
  }
  if (!hasZone) ms += new Date(ms).getTimezoneOffset() * 60_000; // local wall time
  const frac = /\.(\d{1,9})/.exec(value)?.[1] ?? '';
  const nanos = frac ? frac.padEnd(9, '0') : String((ms % 1000) * 1e6).padStart(9, '0');
  return `${Math.floor(ms / 1000)}.${nanos}`;
}

/** jsonmessage.RFC3339NanoFixed in local time: "2026-01-02T15:04:05.000000000Z" / "+09:00". */
export function rfc3339NanoFixed(timeNano: bigint | number): string {
  const ns = BigInt(timeNano);
  const ms = Number(ns / 1_000_000n);
  const offMin = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offMin * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const date = `${local.getUTCFullYear()}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}`;
  const time = `${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}`;
  const frac = String(ns % 1_000_000_000n).padStart(9, '0');
  const zone =
    offMin === 0
      ? 'Z'
      : `${offMin < 0 ? '-' : '+'}${p(Math.trunc(Math.abs(offMin) / 60))}:${p(Math.abs(offMin) % 60)}`;
  return `${date}T${time}.${frac}${zone}`;
}
