// Pure value parsers shared by the container commands, each matching the
// docker CLI's parser of the same value (go-units, time.ParseDuration,
// nat.ParsePortSpec, opts.*) including its error texts.
import net from 'node:net';
import { parseGoDurationDetailed } from '../util/go-duration.js';

const BINARY_UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes: "512m", "1.5g", "100 MiB", "1024" (bytes). */
export function ramInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const n = Number.parseFloat(m[1]!);
  if (Number.isNaN(n)) throw new Error(`invalid size: '${s}'`);
  const mul = m[2] ? BINARY_UNITS[m[2].toLowerCase()]! : 1;
  return Math.trunc(n * mul);
}

/** --memory-swap: -1 means unlimited. */
export function memSwapBytes(s: string): number {
  return s === '-1' ? -1 : ramInBytes(s);
}

/** --cpus "1.5" → 1500000000 NanoCpus (exact decimal arithmetic, like big.Rat). */
export function nanoCpus(s: string): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m || (m[2] === '' && !m[3])) throw new Error(`failed to parse ${s} as a rational number`);
  const frac = m[3] ?? '';
  if (frac.replace(/0+$/, '').length > 9) throw new Error('value is too precise');
  const nano = BigInt(m[2] || '0') * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  return Number(m[1] === '-' ? -nano : nano);
}

/** Go's time.ParseDuration, in nanoseconds: "30s", "1m30s", "1.5h", "0"; throws Go's error text. */
export function parseDuration(s: string): number {
  const r = parseGoDurationDetailed(s);
  if ('error' in r) throw new Error(r.error);
  return r.ns;
}

export function parseInt64(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.ParseInt: parsing "${s}": invalid syntax`);
  return Number.parseInt(s, 10);
}

export function parseUint(s: string, bits = 16): number {
  if (!/^\d+$/.test(s)) throw new Error(`strconv.ParseUint: parsing "${s}": invalid syntax`);
  const n = Number.parseInt(s, 10);
  if (n >= 2 ** bits) throw new Error(`strconv.ParseUint: parsing "${s}": value out of range`);
  return n;
}

// ---- ports -------------------------------------------------------------

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

function portRange(s: string): [number, number] {
  if (s === '') throw new Error('empty string specified for ports');
  const [a, b] = s.includes('-') ? (s.split('-', 2) as [string, string]) : [s, s];
  const start = parseUint(a);
  const end = parseUint(b);
  if (end < start) throw new Error(`invalid range specified for port: ${s}`);
  return [start, end];
}

/** nat.ParsePortSpecs over all -p values, merged the way docker merges them. */
export function parsePublish(specs: string[]): {
  exposed: Record<string, object>;
  bindings: Record<string, PortBinding[]>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const raw of specs) {
    for (const [port, binding] of parsePortSpec(raw)) {
      exposed[port] = {};
      (bindings[port] ??= []).push(binding);
    }
  }
  return { exposed, bindings };
}

export function parsePortSpec(raw: string): Array<[string, PortBinding]> {
  const parts = raw.split(':');
  let ip = '';
  let hostPort = '';
  let containerPort: string;
  if (parts.length === 1) containerPort = parts[0]!;
  else if (parts.length === 2) [hostPort, containerPort] = parts as [string, string];
  else if (parts.length === 3) [ip, hostPort, containerPort] = parts as [string, string, string];
  else {
    ip = parts.slice(0, -2).join(':');
    hostPort = parts[parts.length - 2]!;
    containerPort = parts[parts.length - 1]!;
  }
  let proto = 'tcp';
  const slash = containerPort.indexOf('/');
  if (slash >= 0) {
    proto = containerPort.slice(slash + 1) || 'tcp';
    containerPort = containerPort.slice(0, slash);
  }
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip && net.isIP(ip) === 0) throw new Error(`invalid IP address: ${ip}`);
  if (!containerPort) throw new Error(`no port specified: ${raw}<empty>`);
  let start: number, end: number;
  try {
    [start, end] = portRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hStart = 0,
    hEnd = 0;
  if (hostPort) {
    try {
      [hStart, hEnd] = portRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort && end - start !== hEnd - hStart) {
    // A single container port may map to a host range (docker picks one).
    if (end !== start) throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
  const out: Array<[string, PortBinding]> = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort ? String(hStart + i) : '';
    if (start === end && hStart !== hEnd) hp = `${hp}-${hEnd}`;
    out.push([`${start + i}/${proto.toLowerCase()}`, { HostIp: ip, HostPort: hp }]);
  }
  return out;
}

/** --expose 80, 80/udp, 7000-7010. */
export function parseExpose(spec: string): string[] {
  if (spec.includes(':')) throw new Error(`invalid port format for --expose: ${spec}`);
  const [p, proto = 'tcp'] = spec.split('/', 2) as [string, string?];
  let start: number, end: number;
  try {
    [start, end] = portRange(p);
  } catch {
    throw new Error(`invalid range format for --expose: ${spec}, error: ${'invalid port'}`);
  }
  const out: string[] = [];
  for (let i = start; i <= end; i++) out.push(`${i}/${proto}`);
  return out;
}

// ---- key/value inputs --------------------------------------------------

/** opts.ValidateEnv: "K" takes its value from the CLI's environment when set. */
export function expandEnv(val: string, env: Record<string, string | undefined>): string {
  const eq = val.indexOf('=');
  const k = eq >= 0 ? val.slice(0, eq) : val;
  if (k === '') throw new Error(`invalid environment variable: ${val}`);
  if (eq >= 0) return val;
  return env[k] !== undefined ? `${k}=${env[k]}` : val;
}

/**
 * Docker's env-file / label-file format: one KEY=VALUE a line, `#` comments,
 * values passed through untrimmed, a bare KEY looked up in `lookup`
 * (env files only) and dropped when unset.
 */
export function parseKeyValueFile(
  file: string,
  content: string,
  lookup?: (k: string) => string | undefined,
): string[] {
  const out: string[] = [];
  const lines = content.split('\n');
  lines.forEach((rawLine, idx) => {
    let line = rawLine.replace(/\r$/, '');
    if (idx === 0) line = line.replace(/^\uFEFF/, '');
    line = line.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key === '') throw new Error(`invalid env file (${file}): no variable name on line '${line}'`);
    if (/\s/.test(key)) throw new Error(`invalid env file (${file}): variable '${key}' contains whitespaces`);
    if (eq >= 0) out.push(`${key}=${line.slice(eq + 1)}`);
    else if (lookup) {
      const v = lookup(line.trim());
      if (v !== undefined) out.push(`${line.trim()}=${v}`);
    }
  });
  return out;
}

export function kvToMap(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq >= 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else out[item] = '';
  }
  return out;
}

// ---- misc validators ---------------------------------------------------

/** opts.ValidateExtraHost: "host:ip" or "host=ip", returned as "host:ip". */
export function validateExtraHost(val: string): string {
  let eq = val.indexOf('=');
  if (eq < 0) eq = val.indexOf(':');
  const k = eq >= 0 ? val.slice(0, eq) : '';
  let v = eq >= 0 ? val.slice(eq + 1) : '';
  if (eq < 0 || k === '' || k.includes(':')) throw new Error(`bad format for add-host: "${val}"`);
  if (v !== 'host-gateway') {
    if (v.length > 2 && v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    if (net.isIP(v) === 0) throw new Error(`invalid IP address in add-host: "${v}"`);
  }
  return `${k}:${v}`;
}

export function validateIP(val: string): string {
  if (net.isIP(val.trim()) === 0) throw new Error(`IP address is not correctly formatted: ${val}`);
  return val.trim();
}

const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
]);

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

/** go-units ParseUlimit: "nofile=1024" or "nofile=1024:2048". */
export function parseUlimit(val: string): Ulimit {
  const eq = val.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${val}`);
  const name = val.slice(0, eq);
  if (!ULIMIT_NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const [softS, hardS, extra] = val.slice(eq + 1).split(':');
  if (extra !== undefined) throw new Error(`too many limit value arguments - ${val.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  if (!/^-?\d+$/.test(softS!)) throw new Error(`invalid ulimit soft value ${softS}`);
  const soft = Number(softS);
  let hard = soft;
  if (hardS !== undefined) {
    if (!/^-?\d+$/.test(hardS)) throw new Error(`invalid ulimit hard value ${hardS}`);
    hard = Number(hardS);
  }
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** opts.ValidateSysctl: only namespaced sysctls are allowed. */
export function validateSysctl(val: string): string {
  const eq = val.indexOf('=');
  const k = eq > 0 ? val.slice(0, eq) : '';
  if (k && (IPC_SYSCTLS.has(k) || k.startsWith('fs.mqueue.') || k.startsWith('net.'))) return val;
  throw new Error(`sysctl '${val}' is not allowed`);
}

/** Capabilities as the docker v28 CLI normalises them: upper case, CAP_ prefix, sorted; the daemon resolves overlaps. */
export function effectiveCaps(add: string[], drop: string[]): { add: string[]; drop: string[] } {
  const norm = (caps: string[]): string[] => {
    const set = new Set<string>();
    for (let c of caps) {
      c = c.trim().toUpperCase();
      if (!c) continue;
      set.add(c === 'ALL' || c.startsWith('CAP_') ? c : `CAP_${c}`);
    }
    return [...set].sort();
  };
  return { add: norm(add), drop: norm(drop) };
}

/** Docker's restart policy syntax: no, always, unless-stopped, on-failure[:N]. */
export function parseRestartPolicy(s: string): { Name: string; MaximumRetryCount: number } {
  if (s === '') return { Name: 'no', MaximumRetryCount: 0 };
  const colon = s.indexOf(':');
  const name = colon >= 0 ? s.slice(0, colon) : s;
  if (colon < 0) return { Name: name, MaximumRetryCount: 0 };
  const count = s.slice(colon + 1);
  if (name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  if (!/^-?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
  return { Name: name, MaximumRetryCount: Number(count) };
}

/** Splits one CSV record (--mount), honouring double quotes. */
export function splitCsv(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      if (quoted && s[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}
