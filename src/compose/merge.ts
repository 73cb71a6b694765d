// Compose's merge rules (compose-spec merge.md) for `-f a -f b`, `extends` and
// overrides: mappings merge key by key; most sequences append; some sequences
// keep one entry per key (ports, volumes by target, secrets by target, …);
// `command`, `entrypoint` and `healthcheck.test` are replaced; `environment`,
// `labels` and friends merge as maps. `!reset` drops the earlier value and
// `!override` replaces it whole.
import { OVERRIDE, RESET } from './load-yaml.js';
import { listOrMap } from './normalize-service.js';
import { parseVolumeSpec } from './normalize-volumes.js';

type Raw = Record<string, unknown>;
type Indexer = (item: unknown) => string;

function isMap(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const REPLACE = ['services.*.command', 'services.*.entrypoint', 'services.*.healthcheck.test'];
const AS_MAP = [
  'services.*.environment',
  'services.*.labels',
  'services.*.annotations',
  'services.*.sysctls',
  'services.*.build.args',
  'services.*.build.labels',
  'services.*.build.additional_contexts',
  'services.*.deploy.labels',
  'networks.*.labels',
  'volumes.*.labels',
];

const keyOf = (item: unknown): string => {
  const s = typeof item === 'string' ? item : JSON.stringify(item);
  const eq = s.indexOf('=');
  return eq >= 0 ? s.slice(0, eq) : s;
};
const whole = (item: unknown): string => (typeof item === 'string' ? item : JSON.stringify(item));
const volumeTarget = (item: unknown): string => {
  if (typeof item === 'string') {
    try {
      return parseVolumeSpec(item, '/').target;
    } catch {
      return item;
    }
  }
  return String((item as Raw).target ?? JSON.stringify(item));
};
const mountTarget =
  (dir: string): Indexer =>
  (item) => {
    if (typeof item === 'string') return dir ? `${dir}/${item}` : item;
    const r = item as Raw;
    if (r.target)
      return dir && !String(r.target).startsWith('/') ? `${dir}/${String(r.target)}` : String(r.target);
    return dir ? `${dir}/${String(r.source)}` : String(r.source);
  };
const portKey = (item: unknown): string => {
  if (!isMap(item)) return String(item);
  return `${item.host_ip ?? ''}:${item.published ?? ''}:${item.target}/${item.protocol ?? 'tcp'}`;
};
const envFileKey = (item: unknown): string => (typeof item === 'string' ? item : String((item as Raw).path));

const UNIQUE: [string, Indexer][] = [
  ['services.*.ports', portKey],
  ['services.*.expose', whole],
  ['services.*.volumes', volumeTarget],
  ['services.*.devices', volumeTarget],
  ['services.*.secrets', mountTarget('/run/secrets')],
  ['services.*.configs', mountTarget('')],
  ['services.*.dns', whole],
  ['services.*.dns_opt', whole],
  ['services.*.dns_search', whole],
  ['services.*.tmpfs', whole],
  ['services.*.cap_add', whole],
  ['services.*.cap_drop', whole],
  ['services.*.profiles', whole],
  ['services.*.links', whole],
  ['services.*.env_file', envFileKey],
  ['services.*.networks.*.aliases', whole],
  ['services.*.extra_hosts', keyOf],
  ['services.*.build.tags', whole],
  ['services.*.build.platforms', whole],
];

function matches(pattern: string, path: string[]): boolean {
  const parts = pattern.split('.');
  return parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i]);
}

/** Merges `over` onto `base` (both parsed Compose files or parts of them). */
export function mergeFiles(base: Raw, over: Raw): Raw {
  return mergeValue(base, over, []) as Raw;
}

export function mergeValue(base: unknown, over: unknown, path: string[]): unknown {
  if (over === RESET) return undefined;
  if (isMap(over) && OVERRIDE in over) return stripMarkers(over[OVERRIDE]);
  if (base === undefined) return stripMarkers(over);
  const p = path.join('.');
  if (REPLACE.some((r) => matches(r, path))) return stripMarkers(over);
  if (AS_MAP.some((r) => matches(r, path)))
    return { ...listOrMap(stripMarkers(base)), ...listOrMap(stripMarkers(over)) };
  // Shapes that may be written as a list or a map are merged as maps.
  if (matches('services.*.depends_on', path) || matches('services.*.networks', path)) {
    return mergeMaps(toMap(base), toMap(over), path);
  }
  if (matches('services.*.build', path)) {
    return mergeMaps(
      typeof base === 'string' ? { context: base } : (base as Raw),
      typeof over === 'string' ? { context: over } : (over as Raw),
      path,
    );
  }
  if (matches('services.*.ulimits.*', path) && !(isMap(base) && isMap(over))) return stripMarkers(over);
  if (
    matches('services.*.logging', path) &&
    isMap(base) &&
    isMap(over) &&
    over.driver !== undefined &&
    over.driver !== base.driver
  ) {
    return stripMarkers(over);
  }
  if (isMap(base) && isMap(over)) return mergeMaps(base, over, path);
  if (Array.isArray(base) && Array.isArray(over)) {
    const unique = UNIQUE.find(([r]) => matches(r, path));
    const items = [...base, ...(stripMarkers(over) as unknown[])];
    if (!unique) return items;
    const byKey = new Map<string, unknown>();
    for (const item of items) {
      const k = unique[1](item);
      byKey.delete(k);
      byKey.set(k, item);
    }
    // Keep the first position of each key, the last value written for it.
    const order: string[] = [];
    for (const item of items) {
      const k = unique[1](item);
      if (!order.includes(k)) order.push(k);
    }
    return order.map((k) => byKey.get(k));
  }
  void p;
  return stripMarkers(over);
}

function toMap(v: unknown): Raw {
  if (Array.isArray(v)) return Object.fromEntries(v.map((k) => [String(k), null]));
  return isMap(v) ? v : {};
}

function mergeMaps(base: Raw, over: Raw, path: string[]): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const merged = mergeValue(base[k], v, [...path, k]);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

/** Removes `!reset`/`!override` markers from a value that is not merged onto anything. */
export function stripMarkers(v: unknown): unknown {
  if (v === RESET) return undefined;
  if (Array.isArray(v)) return v.filter((x) => x !== RESET).map(stripMarkers);
  if (isMap(v)) {
    if (OVERRIDE in v) return stripMarkers(v[OVERRIDE]);
    const out: Raw = {};
    for (const [k, x] of Object.entries(v)) {
      const s = stripMarkers(x);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return v;
}
