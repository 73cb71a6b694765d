// Image config (OCI image config / Docker v2 schema 2 config) types and the
// Dockerfile-like `changes` that `docker import`/`commit` apply to it.
import { InvalidArgument } from '../api/errors.js';

export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  OnBuild?: string[] | null;
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  Shell?: string[];
  [key: string]: unknown;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  created?: string;
  author?: string;
  comment?: string;
  docker_version?: string;
  config?: ContainerConfig;
  container_config?: ContainerConfig;
  container?: string;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
  [key: string]: unknown;
}

/** Node's arch names → Go's, as image configs record them. */
export function goArch(arch = process.arch): string {
  return (
    (
      { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<
        string,
        string
      >
    )[arch] ?? arch
  );
}

/** Splits a change/instruction argument: JSON array form or shell words. */
function parseArgs(rest: string): { json: boolean; args: string[] } {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return { json: true, args: v };
    } catch {
      /* not JSON: shell form */
    }
  }
  return { json: false, args: t === '' ? [] : [t] };
}

/** `a=b c=d` or the legacy `a b` form of ENV/LABEL. */
function parseKeyValues(rest: string, instr: string): [string, string][] {
  const t = rest.trim();
  const words = splitWords(t);
  if (words.length === 0) throw new InvalidArgument(`${instr} requires at least one argument`);
  if (!words[0].includes('=')) {
    const sp = t.search(/\s/);
    if (sp === -1) throw new InvalidArgument(`${instr} must have two arguments`);
    return [[t.slice(0, sp), t.slice(sp).trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InvalidArgument(`${instr} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Shell-like words with quotes removed (enough for change lines). */
function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let any = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (any || cur) out.push(cur);
  return out;
}

const SHELL = ['/bin/sh', '-c'];

/** Applies `changes` lines (CMD, ENTRYPOINT, ENV, EXPOSE, WORKDIR, USER, LABEL, VOLUME, STOPSIGNAL, ONBUILD). */
export function applyChanges(base: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const cfg: ContainerConfig = structuredClone(base);
  for (const line of changes.flatMap((c) => c.split('\n'))) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const sp = t.search(/\s/);
    const instr = (sp === -1 ? t : t.slice(0, sp)).toUpperCase();
    const rest = sp === -1 ? '' : t.slice(sp + 1);
    switch (instr) {
      case 'CMD': {
        const { json, args } = parseArgs(rest);
        cfg.Cmd = json ? args : [...SHELL, ...args];
        break;
      }
      case 'ENTRYPOINT': {
        const { json, args } = parseArgs(rest);
        cfg.Entrypoint = json ? args : [...SHELL, ...args];
        break;
      }
      case 'ENV': {
        const env = [...(cfg.Env ?? [])];
        for (const [k, v] of parseKeyValues(rest, 'ENV')) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i === -1) env.push(`${k}=${v}`);
          else env[i] = `${k}=${v}`;
        }
        cfg.Env = env;
        break;
      }
      case 'LABEL':
        cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(parseKeyValues(rest, 'LABEL')) };
        break;
      case 'EXPOSE': {
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        for (const p of splitWords(rest)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        cfg.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const { json, args } = parseArgs(rest);
        const vols = { ...(cfg.Volumes ?? {}) };
        for (const v of json ? args : splitWords(rest)) vols[v] = {};
        cfg.Volumes = vols;
        break;
      }
      case 'WORKDIR':
        cfg.WorkingDir = rest.trim();
        break;
      case 'USER':
        cfg.User = rest.trim();
        break;
      case 'STOPSIGNAL':
        cfg.StopSignal = rest.trim();
        break;
      case 'ONBUILD':
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest.trim()];
        break;
      default:
        throw new InvalidArgument(`${instr.toLowerCase()} is not a valid change command`);
    }
  }
  return cfg;
}
