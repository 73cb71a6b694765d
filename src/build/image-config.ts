// The build's run config (Docker's container.Config as the legacy builder
// keeps it between steps), serialised in Go's field order, and the history
// `created_by` strings dockerd 20.10's legacy builder writes, with the Go
// formatting (%q, %v, time.Duration) they are made of. Pure: no I/O.
import { parseGoDuration as parseGoDurationNs } from '../util/go-duration.js';

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export interface RunConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string> | null;
  StopSignal?: string;
  Shell?: string[];
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A run config from an image's `config` (or the empty one of `FROM scratch`), Go's field order. */
export function runConfigFrom(c: Record<string, any> | undefined | null): RunConfig {
  const src = c ?? {};
  return normalise({
    Hostname: src.Hostname ?? '',
    Domainname: src.Domainname ?? '',
    User: src.User ?? '',
    AttachStdin: !!src.AttachStdin,
    AttachStdout: !!src.AttachStdout,
    AttachStderr: !!src.AttachStderr,
    ExposedPorts: src.ExposedPorts ? { ...src.ExposedPorts } : undefined,
    Tty: !!src.Tty,
    OpenStdin: !!src.OpenStdin,
    StdinOnce: !!src.StdinOnce,
    Env: src.Env ? [...src.Env] : null,
    Cmd: src.Cmd ? [...src.Cmd] : null,
    Healthcheck: src.Healthcheck ? { ...src.Healthcheck } : undefined,
    ArgsEscaped: src.ArgsEscaped || undefined,
    Image: src.Image ?? '',
    Volumes: src.Volumes ? { ...src.Volumes } : null,
    WorkingDir: src.WorkingDir ?? '',
    Entrypoint: src.Entrypoint ? [...src.Entrypoint] : null,
    OnBuild: src.OnBuild ? [...src.OnBuild] : null,
    Labels: src.Labels ? { ...src.Labels } : null,
    StopSignal: src.StopSignal || undefined,
    Shell: src.Shell?.length ? [...src.Shell] : undefined,
  });
}

/** Rebuilds the object in Go's field order with `omitempty` fields dropped when empty. */
export function normalise(c: RunConfig): RunConfig {
  const out: Record<string, unknown> = {
    Hostname: c.Hostname,
    Domainname: c.Domainname,
    User: c.User,
    AttachStdin: c.AttachStdin,
    AttachStdout: c.AttachStdout,
    AttachStderr: c.AttachStderr,
  };
  if (c.ExposedPorts && Object.keys(c.ExposedPorts).length) out.ExposedPorts = c.ExposedPorts;
  Object.assign(out, { Tty: c.Tty, OpenStdin: c.OpenStdin, StdinOnce: c.StdinOnce, Env: c.Env, Cmd: c.Cmd });
  if (c.Healthcheck) out.Healthcheck = healthJson(c.Healthcheck);
  if (c.ArgsEscaped) out.ArgsEscaped = true;
  Object.assign(out, {
    Image: c.Image,
    Volumes: c.Volumes,
    WorkingDir: c.WorkingDir,
    Entrypoint: c.Entrypoint,
    OnBuild: c.OnBuild,
    Labels: c.Labels,
  });
  if (c.StopSignal) out.StopSignal = c.StopSignal;
  if (c.Shell?.length) out.Shell = c.Shell;
  return out as unknown as RunConfig;
}

function healthJson(h: HealthConfig): HealthConfig {
  const out: HealthConfig = {};
  if (h.Test?.length) out.Test = h.Test;
  if (h.Interval) out.Interval = h.Interval;
  if (h.Timeout) out.Timeout = h.Timeout;
  if (h.StartPeriod) out.StartPeriod = h.StartPeriod;
  if (h.Retries) out.Retries = h.Retries;
  return out;
}

export function cloneConfig(c: RunConfig): RunConfig {
  return normalise(structuredClone(c));
}

/** The shell a step runs through: SHELL's, else /bin/sh -c. */
export function shellOf(c: RunConfig): string[] {
  return c.Shell?.length ? c.Shell : DEFAULT_SHELL;
}

/** Sets or replaces `KEY=value` in an env list, keeping the order of first appearance. */
export function setEnv(env: string[] | null, key: string, value: string): string[] {
  const out = [...(env ?? [])];
  const i = out.findIndex((e) => envKey(e) === key);
  if (i === -1) out.push(`${key}=${value}`);
  else out[i] = `${key}=${value}`;
  return out;
}

export const envKey = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);

export function envLookup(env: string[] | null, key: string): string | undefined {
  for (const e of env ?? []) if (envKey(e) === key) return e.slice(key.length + 1);
  return undefined;
}

// ---- Go formatting, as the legacy builder's fmt.Sprintf calls produce it ----

/** Go's strconv.Quote for the strings Dockerfiles hold. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** `%q` of a []string: `["a" "b"]`; `%q` of a nil slice is `[]`. */
export function goQuoteList(list: string[] | null | undefined): string {
  return '[' + (list ?? []).map(goQuote).join(' ') + ']';
}

/** `%v` of a []string: `[a b]`. */
export function goList(list: string[] | null | undefined): string {
  return '[' + (list ?? []).join(' ') + ']';
}

/** Go's time.Duration.String() for nanoseconds. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let s: string;
  if (u < 1e9) {
    // Sub-second: the largest unit that keeps the integer part non-zero.
    const [unit, div] = u < 1e3 ? ['ns', 1] : u < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    s = trimFraction(u / (div as number)) + unit;
  } else {
    const h = Math.floor(u / 3600e9);
    u -= h * 3600e9;
    const m = Math.floor(u / 60e9);
    u -= m * 60e9;
    const sec = trimFraction(u / 1e9) + 's';
    s = h ? `${h}h${m}m${sec}` : m ? `${m}m${sec}` : sec;
  }
  return (neg ? '-' : '') + s;
}

function trimFraction(v: number): string {
  return String(Number(v.toFixed(9)));
}

/** `%q` of a Go rune (HealthConfig.Retries is an int printed with %q). */
function goRune(n: number): string {
  if (n === 0x27) return "'\\''";
  if (n === 0x5c) return "'\\\\'";
  if (n < 0x20 || n === 0x7f) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'${String.fromCodePoint(n)}'`;
}

/** `HEALTHCHECK %q` of *HealthConfig in dockerd 20.10: `&{["CMD-SHELL" "true"] "5s" "0s" "0s" '\x00'}`. */
export function healthcheckHistory(h: HealthConfig): string {
  return (
    `&{${goQuoteList(h.Test)} ${goQuote(goDuration(h.Interval ?? 0))} ${goQuote(goDuration(h.Timeout ?? 0))} ` +
    `${goQuote(goDuration(h.StartPeriod ?? 0))} ${goRune(h.Retries ?? 0)}}`
  );
}

/** The ContainerConfig.Cmd of a metadata step: shell + `#(nop) ` + comment (two words, so two spaces once joined). */
export function nopCmd(c: RunConfig, comment: string): string[] {
  return [...shellOf(c), '#(nop) ', comment];
}

/** COPY/ADD/WORKDIR: one word `#(nop) <comment>`. */
export function nopCmdString(c: RunConfig, comment: string): string[] {
  return [...shellOf(c), '#(nop) ' + comment];
}

/** Go's time.ParseDuration for HEALTHCHECK flags (`30s`, `1m30s`, `500ms`); null when malformed. */
export function parseGoDuration(s: string): number | null {
  return parseGoDurationNs(s) ?? null;
}
