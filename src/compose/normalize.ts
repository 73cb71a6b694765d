// The whole project from its merged, interpolated, validated form: services
// normalised, profiles applied, top-level networks/volumes/secrets/configs
// named `<project>_<key>` (unless `name:` or external), the implicit `default`
// network added, references checked, resources nobody uses dropped.
import type { FileObject, Network, Project, Service, Volume } from './model.js';
import { ComposeError } from './model.js';
import type { Lookup } from './interpolate.js';
import { normalizeService } from './normalize-service.js';
import { resolveHostPath } from './normalize-volumes.js';
import { selectServices } from './profiles.js';
import { checkCycles } from './normalize-graph.js';

type Raw = Record<string, unknown>;

export interface NormalizeInput {
  name: string;
  workingDir: string;
  configFiles: string[];
  environment: Record<string, string>;
  data: Raw;
  profiles: string[];
  /** Services named on the command line: enabled whatever their profiles. */
  services: string[];
}

function stringMap(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((s) => {
        const i = String(s).indexOf('=');
        return i < 0 ? [String(s), ''] : [String(s).slice(0, i), String(s).slice(i + 1)];
      }),
    );
  }
  if (raw && typeof raw === 'object')
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === null ? '' : String(v)]));
  return {};
}

function section(data: Raw, key: string): Record<string, Raw> {
  const v = data[key];
  if (!v || typeof v !== 'object') return {};
  return Object.fromEntries(Object.entries(v as Raw).map(([k, x]) => [k, (x ?? {}) as Raw]));
}

function resourceName(project: string, key: string, raw: Raw): string {
  if (typeof raw.name === 'string' && raw.name !== '') return raw.name;
  return raw.external === true ? key : `${project}_${key}`;
}

function networkOf(project: string, key: string, raw: Raw): Network {
  const n: Raw = { ...raw, name: resourceName(project, key, raw), labels: stringMap(raw.labels) };
  if (raw.driver_opts !== undefined) n.driver_opts = stringMap(raw.driver_opts);
  if (raw.external === false) delete n.external;
  return n as Network;
}

function volumeOf(project: string, key: string, raw: Raw): Volume {
  const v: Raw = { ...raw, name: resourceName(project, key, raw), labels: stringMap(raw.labels) };
  // The Engine API wants option values as strings (`size: 64` → "64").
  if (raw.driver_opts !== undefined) v.driver_opts = stringMap(raw.driver_opts);
  if (raw.external === false) delete v.external;
  return v as Volume;
}

function fileObjectOf(project: string, key: string, raw: Raw, workingDir: string): FileObject {
  const o: Raw = { ...raw, name: resourceName(project, key, raw) };
  if (typeof raw.file === 'string') o.file = resolveHostPath(raw.file, workingDir);
  if (raw.external === false) delete o.external;
  return o as FileObject;
}

export function normalizeProject(input: NormalizeInput): Project {
  const { name, workingDir, data } = input;
  const lookup: Lookup = (k) => input.environment[k];
  const all: Record<string, Service> = {};
  for (const [key, raw] of Object.entries(section(data, 'services'))) {
    all[key] = normalizeService(key, raw, { workingDir, lookup, readEnvFiles: false });
  }
  const { enabled, disabled } = selectServices(all, input.profiles, input.services);
  const rawServices = section(data, 'services');
  for (const key of Object.keys(enabled))
    enabled[key] = normalizeService(key, rawServices[key]!, { workingDir, lookup, readEnvFiles: true });
  for (const n of input.services) {
    if (!(n in all)) throw new ComposeError(`no such service: ${n}`);
  }

  const networks: Record<string, Network> = {};
  for (const [key, raw] of Object.entries(section(data, 'networks')))
    networks[key] = networkOf(name, key, raw);
  const usesDefault = Object.values(enabled).some((s) => 'default' in s.networks);
  if (usesDefault && !networks.default) networks.default = { name: `${name}_default`, labels: {} };

  const volumes: Record<string, Volume> = {};
  for (const [key, raw] of Object.entries(section(data, 'volumes'))) volumes[key] = volumeOf(name, key, raw);
  const secrets: Record<string, FileObject> = {};
  for (const [key, raw] of Object.entries(section(data, 'secrets')))
    secrets[key] = fileObjectOf(name, key, raw, workingDir);
  const configs: Record<string, FileObject> = {};
  for (const [key, raw] of Object.entries(section(data, 'configs')))
    configs[key] = fileObjectOf(name, key, raw, workingDir);

  for (const s of Object.values(enabled)) {
    // An optional dependency on a service that is not there is dropped.
    for (const [dep, cfg] of Object.entries(s.depends_on))
      if (!(dep in enabled) && !cfg.required) delete s.depends_on[dep];
  }
  for (const s of Object.values(enabled)) checkReferences(s, enabled, networks, volumes, secrets, configs);
  checkCycles(enabled);

  const project = withoutUnusedResources({
    name,
    working_dir: workingDir,
    config_files: input.configFiles,
    environment: input.environment,
    services: enabled,
    networks,
    volumes,
    secrets,
    configs,
    disabled_services: disabled,
  });
  for (const [k, v] of Object.entries(data)) if (k.startsWith('x-')) (project as unknown as Raw)[k] = v;
  // `version` is obsolete and dropped (load.ts warns about it).
  return project;
}

/** Networks, volumes, secrets and configs that no service of the project uses are left out, as Compose does. */
export function withoutUnusedResources(p: Project): Project {
  const svc = p.services;
  return {
    ...p,
    networks: pick(
      p.networks,
      used(svc, (s) => Object.keys(s.networks)),
    ),
    volumes: pick(
      p.volumes,
      used(svc, (s) => s.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => v.source!)),
    ),
    secrets: pick(
      p.secrets,
      used(svc, (s) => s.secrets.map((r) => r.source)),
    ),
    configs: pick(
      p.configs,
      used(svc, (s) => s.configs.map((r) => r.source)),
    ),
  };
}

function used(services: Record<string, Service>, refs: (s: Service) => string[]): Set<string> {
  return new Set(Object.values(services).flatMap(refs));
}

function pick<T>(all: Record<string, T>, keep: Set<string>): Record<string, T> {
  return Object.fromEntries(Object.entries(all).filter(([k]) => keep.has(k)));
}

function checkReferences(
  s: Service,
  services: Record<string, Service>,
  networks: Record<string, Network>,
  volumes: Record<string, Volume>,
  secrets: Record<string, FileObject>,
  configs: Record<string, FileObject>,
): void {
  const invalid = (what: string) =>
    new ComposeError(`service ${JSON.stringify(s.name)} ${what}: invalid compose project`);
  for (const [dep, cfg] of Object.entries(s.depends_on)) {
    if (!(dep in services) && cfg.required)
      throw invalid(`depends on undefined service ${JSON.stringify(dep)}`);
  }
  for (const n of Object.keys(s.networks))
    if (!(n in networks)) throw invalid(`refers to undefined network ${n}`);
  for (const v of s.volumes) {
    if (v.type === 'volume' && v.source && !(v.source in volumes))
      throw invalid(`refers to undefined volume ${v.source}`);
  }
  for (const r of s.secrets)
    if (!(r.source in secrets)) throw invalid(`refers to undefined secret ${r.source}`);
  for (const r of s.configs)
    if (!(r.source in configs)) throw invalid(`refers to undefined config ${r.source}`);
}
