// The normalised project the way `docker compose config` prints it: keys in
// the order of compose-go's structs, map entries sorted (Go marshals maps
// sorted), empty values left out, `networks: {default: null}` kept.
import { Document, parse, visit } from 'yaml';
import type { Project, Service } from '../model.js';

type Raw = Record<string, unknown>;

const SERVICE_KEYS =
  'profiles annotations attach build develop blkio_config cap_add cap_drop cgroup_parent cgroup command configs container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpus cpuset cpu_shares credential_spec depends_on deploy device_cgroup_rules devices dns dns_opt dns_search dockerfile domainname entrypoint provider environment env_file expose extends external_links extra_hosts group_add gpus hostname healthcheck image init ipc isolation labels label_file links logging log_driver log_opt mem_limit mem_reservation memswap_limit mem_swappiness mac_address models net network_mode networks oom_kill_disable oom_score_adj pid pids_limit platform ports privileged pull_policy read_only restart runtime scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits use_api_socket user userns_mode uts volume_driver volumes volumes_from working_dir post_start pre_stop'.split(
    ' ',
  );
const BUILD_KEYS =
  'context dockerfile dockerfile_inline entitlements args ssh labels cache_from cache_to no_cache additional_contexts network provenance sbom pull target shm_size extra_hosts isolation privileged secrets tags ulimits platforms'.split(
    ' ',
  );
const HEALTH_KEYS = ['test', 'timeout', 'interval', 'retries', 'start_period', 'start_interval', 'disable'];
const DEPLOY_KEYS = [
  'mode',
  'replicas',
  'labels',
  'update_config',
  'rollback_config',
  'resources',
  'restart_policy',
  'placement',
  'endpoint_mode',
];
const SVC_NET_KEYS = [
  'aliases',
  'interface_name',
  'ipv4_address',
  'ipv6_address',
  'link_local_ips',
  'mac_address',
  'driver_opts',
  'priority',
  'gw_priority',
];
const NETWORK_KEYS = [
  'name',
  'driver',
  'driver_opts',
  'ipam',
  'external',
  'internal',
  'attachable',
  'labels',
  'enable_ipv4',
  'enable_ipv6',
];
const VOLUME_KEYS = ['name', 'driver', 'driver_opts', 'external', 'labels'];
const FILE_OBJECT_KEYS = [
  'name',
  'file',
  'environment',
  'content',
  'external',
  'labels',
  'driver',
  'driver_opts',
  'template_driver',
];
/** Maps whose entries are user keys, printed sorted. */
const SORTED_MAPS = new Set([
  'environment',
  'labels',
  'annotations',
  'sysctls',
  'args',
  'driver_opts',
  'options',
  'ulimits',
  'extra_hosts',
]);

function isEmpty(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (v && typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function sortedMap(m: Raw): Raw {
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]]),
  );
}

/** Keys in `order` first, then the rest alphabetically (x-* extensions last). */
function ordered(
  src: Raw,
  order: string[],
  keep: (k: string, v: unknown) => boolean = (_k, v) => !isEmpty(v),
): Raw {
  const out: Raw = {};
  for (const k of order) if (k in src && keep(k, src[k])) out[k] = src[k];
  const rest = Object.keys(src)
    .filter((k) => !order.includes(k))
    .sort((a, b) => Number(a.startsWith('x-')) - Number(b.startsWith('x-')) || a.localeCompare(b));
  for (const k of rest) if (keep(k, src[k])) out[k] = src[k];
  for (const k of Object.keys(out))
    if (SORTED_MAPS.has(k) && out[k] && typeof out[k] === 'object' && !Array.isArray(out[k]))
      out[k] = sortedMap(out[k] as Raw);
  return out;
}

function renderService(s: Service, json: boolean): Raw {
  const src: Raw = { ...s };
  delete src.name;
  // compose-go's JSON tags have no omitempty on command/entrypoint: `null` when unset.
  if (json) {
    src.command ??= null;
    src.entrypoint ??= null;
  }
  if (s.build) src.build = ordered(s.build as Raw, BUILD_KEYS);
  if (s.healthcheck) src.healthcheck = ordered(s.healthcheck as Raw, HEALTH_KEYS);
  if (s.deploy) src.deploy = ordered(s.deploy as Raw, DEPLOY_KEYS);
  src.depends_on = sortedMap(
    Object.fromEntries(
      Object.entries(s.depends_on).map(([k, d]) => [
        k,
        d.restart
          ? { condition: d.condition, restart: true, required: d.required }
          : { condition: d.condition, required: d.required },
      ]),
    ),
  );
  src.networks = sortedMap(
    Object.fromEntries(
      Object.entries(s.networks).map(([k, n]) => [k, n ? ordered(n as Raw, SVC_NET_KEYS) : null]),
    ),
  );
  // `networks: {default: null}` is printed even though its value is null.
  return ordered(src, SERVICE_KEYS, (k, v) =>
    k === 'command' || k === 'entrypoint' ? v !== undefined : !isEmpty(v),
  );
}

/** The project as `docker compose config` structures it (before YAML/JSON encoding). */
export function renderProject(p: Project, json = false): Raw {
  const out: Raw = { name: p.name };
  out.services = Object.fromEntries(
    Object.keys(p.services)
      .sort()
      .map((k) => [k, renderService(p.services[k]!, json)]),
  );
  const section = (m: Record<string, unknown>, keys: string[]) =>
    Object.fromEntries(
      Object.keys(m)
        .sort()
        .map((k) => [k, ordered(m[k] as Raw, keys)]),
    );
  if (!isEmpty(p.networks)) out.networks = section(p.networks, NETWORK_KEYS);
  if (!isEmpty(p.volumes)) out.volumes = section(p.volumes, VOLUME_KEYS);
  if (!isEmpty(p.secrets)) out.secrets = section(p.secrets, FILE_OBJECT_KEYS);
  if (!isEmpty(p.configs)) out.configs = section(p.configs, FILE_OBJECT_KEYS);
  for (const k of Object.keys(p).sort()) if (k.startsWith('x-')) out[k] = (p as unknown as Raw)[k];
  return out;
}

function parseScalar(s: string): unknown {
  try {
    return parse(s);
  } catch {
    return s;
  }
}

/** Literal dollars are doubled so the printed model can be loaded again (Compose does the same). */
function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.replaceAll('$', '$$$$');
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

export interface RenderOptions {
  /** False under `--no-interpolate`: the values still hold their `${...}`. */
  escapeDollars: boolean;
}

export function projectToYaml(p: Project, o: RenderOptions = { escapeDollars: true }): string {
  const model = renderProject(p);
  const doc = new Document(o.escapeDollars ? escapeDollars(model) : model, { aliasDuplicateObjects: false });
  // Like go-yaml: strings that would read back as numbers, booleans or null
  // get double quotes ("8080"); other strings that cannot be plain get single quotes.
  visit(doc, {
    Scalar(_k, node) {
      if (typeof node.value !== 'string') return;
      const read = node.value === '' ? null : parseScalar(node.value);
      if (read === null || typeof read === 'number' || typeof read === 'boolean') node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, minContentWidth: 0, singleQuote: true });
}

export function projectToJson(p: Project, o: RenderOptions = { escapeDollars: true }): string {
  const model = renderProject(p, true);
  return JSON.stringify(o.escapeDollars ? escapeDollars(model) : model, null, 2);
}
