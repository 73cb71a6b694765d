// One service from its merged, interpolated, validated form to the model's
// long form: lists become maps where Compose keeps maps, strings become lists
// where Compose keeps lists, paths become absolute, env_file is read into
// environment.
import { readFileSync, statSync } from 'node:fs';
import type { Build, DependsOn, FileReference, Healthcheck, Service, ServiceNetwork } from './model.js';
import { ComposeError } from './model.js';
import { parseEnvFile } from './envfile.js';
import type { Lookup } from './interpolate.js';
import { normalizeExpose, normalizePorts } from './normalize-ports.js';
import { normalizeServiceVolumes, resolveHostPath } from './normalize-volumes.js';
import { splitShellWords } from './shellwords.js';

export interface ServiceContext {
  workingDir: string;
  lookup: Lookup;
  /** Read env_file into environment (only for services that will run: a disabled service's missing file is no error). */
  readEnvFiles: boolean;
}

type Raw = Record<string, unknown>;

/** `KEY=VAL` lists and maps alike; `sep` splits list items. */
export function listOrMap(raw: unknown, sep = '='): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw)) out[k] = v === null || v === undefined ? null : String(v);
  }
  return out;
}

function stringMap(raw: unknown): Record<string, string> {
  const m = listOrMap(raw);
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v ?? '']));
}

function stringList(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  return Array.isArray(raw) ? raw.map(String) : [String(raw)];
}

function commandOf(raw: unknown): string[] | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  return typeof raw === 'string' ? splitShellWords(raw) : (raw as unknown[]).map(String);
}

export function normalizeService(name: string, raw: Raw, ctx: ServiceContext): Service {
  const s: Raw = { ...raw };
  const env = environmentOf(name, raw, ctx);
  delete s.env_file;
  const out: Service = {
    ...s,
    name,
    command: commandOf(raw.command),
    entrypoint: commandOf(raw.entrypoint),
    environment: env,
    labels: stringMap(raw.labels),
    ports: normalizePorts(name, raw.ports),
    expose: normalizeExpose(raw.expose),
    volumes: normalizeServiceVolumes(name, raw.volumes, ctx.workingDir),
    tmpfs: stringList(raw.tmpfs),
    networks: networksOf(raw),
    depends_on: dependsOnOf(raw.depends_on),
    profiles: stringList(raw.profiles),
    secrets: fileRefs(raw.secrets),
    configs: fileRefs(raw.configs),
    extra_hosts: extraHostsOf(raw.extra_hosts),
    dns: stringList(raw.dns),
    ulimits: (raw.ulimits as Service['ulimits']) ?? {},
    cap_add: stringList(raw.cap_add),
    cap_drop: stringList(raw.cap_drop),
  };
  if (out.command === undefined) delete out.command;
  if (out.entrypoint === undefined) delete out.entrypoint;
  if (raw.build !== undefined) out.build = buildOf(raw.build, ctx.workingDir);
  if (raw.healthcheck !== undefined) out.healthcheck = healthcheckOf(raw.healthcheck as Raw);
  if (raw.dns_search !== undefined) out.dns_search = stringList(raw.dns_search);
  if (raw.dns_opt !== undefined) out.dns_opt = stringList(raw.dns_opt);
  if (raw.image === undefined && raw.build === undefined) {
    throw new ComposeError(
      `service "${name}" has neither an image nor a build context specified: invalid compose project`,
    );
  }
  scaleOf(name, out);
  implicitDependencies(out);
  return out;
}

function environmentOf(name: string, raw: Raw, ctx: ServiceContext): Record<string, string | null> {
  const env: Record<string, string | null> = {};
  for (const ref of ctx.readEnvFiles ? envFileRefs(raw.env_file) : []) {
    const path = resolveHostPath(ref.path, ctx.workingDir);
    let exists = true;
    try {
      statSync(path);
    } catch {
      exists = false;
    }
    if (!exists) {
      if (ref.required)
        throw new ComposeError(`env file ${path} not found: stat ${path}: no such file or directory`);
      continue;
    }
    const values = ref.format === 'raw' ? parseRaw(path) : parseEnvFile(path, ctx.lookup);
    Object.assign(env, values);
  }
  // A key without a value takes it from the environment Compose runs in.
  for (const [k, v] of Object.entries(listOrMap(raw.environment))) {
    env[k] = v ?? ctx.lookup(k) ?? null;
  }
  void name;
  return env;
}

/** `format: raw`: `KEY=VALUE` lines taken literally (no quotes, escapes, comments after values or interpolation). */
function parseRaw(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i < 0) continue;
    out[line.slice(0, i).trim()] = line.slice(i + 1);
  }
  return out;
}

interface EnvFileRef {
  path: string;
  required: boolean;
  format?: string;
}

export function envFileRefs(raw: unknown): EnvFileRef[] {
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : [raw];
  return items.map((i) =>
    typeof i === 'string'
      ? { path: i, required: true }
      : {
          path: String((i as Raw).path),
          required: (i as Raw).required !== false,
          format: (i as Raw).format as string | undefined,
        },
  );
}

function networksOf(raw: Raw): Record<string, ServiceNetwork | null> {
  if (raw.networks === undefined || raw.networks === null) return raw.network_mode ? {} : { default: null };
  if (Array.isArray(raw.networks)) return Object.fromEntries(raw.networks.map((n) => [String(n), null]));
  const out: Record<string, ServiceNetwork | null> = {};
  for (const [k, v] of Object.entries(raw.networks as Raw)) out[k] = (v as ServiceNetwork | null) ?? null;
  return out;
}

function dependsOnOf(raw: unknown): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  if (Array.isArray(raw)) {
    for (const s of raw) out[String(s)] = { condition: 'service_started', required: true, restart: false };
  } else if (raw && typeof raw === 'object') {
    for (const [k, v] of Object.entries(raw as Raw)) {
      const d = (v ?? {}) as Raw;
      out[k] = {
        condition: (d.condition as DependsOn['condition']) ?? 'service_started',
        required: d.required !== false,
        restart: d.restart === true,
      };
    }
  }
  return out;
}

function fileRefs(raw: unknown): FileReference[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((r) =>
    typeof r === 'string' ? { source: r } : ({ ...(r as Raw) } as unknown as FileReference),
  );
}

function extraHostsOf(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) {
    // `host=ip` and `host:ip` alike; the Engine API wants `host:ip`.
    return raw.map((h) => {
      const s = String(h);
      const eq = s.indexOf('=');
      return eq >= 0 ? `${s.slice(0, eq)}:${s.slice(eq + 1)}` : s;
    });
  }
  const out: string[] = [];
  for (const [host, ips] of Object.entries(raw as Raw)) {
    for (const ip of Array.isArray(ips) ? ips : [ips]) out.push(`${host}:${String(ip)}`);
  }
  return out;
}

function buildOf(raw: unknown, workingDir: string): Build {
  const b: Raw = typeof raw === 'string' ? { context: raw } : { ...(raw as Raw) };
  const context = String(b.context ?? '.');
  // A remote context (git URL) is kept as written.
  b.context = /^(https?:\/\/|git@|git:\/\/|github\.com\/)/.test(context)
    ? context
    : resolveHostPath(context, workingDir);
  if (b.dockerfile === undefined && b.dockerfile_inline === undefined) b.dockerfile = 'Dockerfile';
  b.args = listOrMap(b.args);
  b.labels = stringMap(b.labels);
  return b as unknown as Build;
}

function healthcheckOf(raw: Raw): Healthcheck {
  const h = { ...raw } as Healthcheck & Raw;
  if (typeof raw.test === 'string') h.test = ['CMD-SHELL', raw.test];
  else if (Array.isArray(raw.test)) h.test = raw.test.map(String);
  return h;
}

function count(name: string, key: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  if (v === '' || !Number.isInteger(n) || n < 0)
    throw new ComposeError(`services.${name}.${key} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

function scaleOf(name: string, s: Service): void {
  if (s.scale !== undefined) s.scale = count(name, 'scale', s.scale);
  if (s.deploy?.replicas !== undefined) s.deploy.replicas = count(name, 'deploy.replicas', s.deploy.replicas);
  const replicas = s.deploy?.replicas;
  if (s.scale !== undefined && replicas !== undefined && s.scale !== replicas) {
    throw new ComposeError(`services.${name}: can't set distinct values on 'scale' and 'deploy.replicas'`);
  }
  if (s.scale !== undefined && s.deploy === undefined) s.deploy = { replicas: s.scale };
  else if (s.scale !== undefined && s.deploy) s.deploy.replicas = s.scale;
}

/**
 * `links`, `volumes_from` and `service:x` namespaces (network_mode, ipc, pid,
 * uts, cgroup) make a service depend on another, as Compose adds them to
 * depends_on (restart: true except for volumes_from).
 */
function implicitDependencies(s: Service): void {
  const add = (dep: string, restart: boolean) => {
    if (dep && !(dep in s.depends_on))
      s.depends_on[dep] = { condition: 'service_started', required: true, restart };
  };
  for (const link of stringList(s.links)) add(link.split(':')[0]!, true);
  for (const key of ['network_mode', 'ipc', 'pid', 'uts', 'cgroup']) {
    const v = s[key];
    if (typeof v === 'string' && v.startsWith('service:')) add(v.slice('service:'.length), true);
  }
  for (const from of stringList(s.volumes_from)) {
    if (!from.startsWith('container:')) add(from.split(':')[0]!, false);
  }
}
