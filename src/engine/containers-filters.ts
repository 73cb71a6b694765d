// `GET /containers/json` selection with moby's rules: `all`, `limit`, and
// every filter (regex for id/name, AND across labels, before/since by
// creation order, status implies all, ...).
import { InvalidArgument } from '../api/errors.js';
import { checkFilterKeys, type Filters } from '../api/query.js';
import type { ContainerRecord } from './containers-model.js';
import { networkMode } from './containers-view.js';

export const LIST_FILTERS = [
  'id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'health', 'network', 'volume',
  'publish', 'expose', 'is-task', 'isolation',
];

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

export interface ListOptions {
  all: boolean;
  limit: number; // <= 0: no limit
  filters: Filters;
}

export interface ListContext {
  find(ref: string): ContainerRecord; // throws NotFound
  /** Image IDs the `ancestor` value names (the image and, when known, its children). */
  ancestorIds(ref: string): string[];
  networkNamesOf(c: ContainerRecord): string[];
  volumeRefsOf(c: ContainerRecord): string[];
}

const regexMatch = (values: string[] | undefined, ...sources: string[]): boolean =>
  !values?.length ||
  values.some((v) => {
    let re: RegExp;
    try {
      re = new RegExp(v);
    } catch {
      return sources.includes(v);
    }
    return sources.some((s) => re.test(s));
  });

function labelsMatch(values: string[] | undefined, labels: Record<string, string>): boolean {
  if (!values?.length) return true;
  return values.every((v) => {
    const eq = v.indexOf('=');
    if (eq < 0) return v in labels;
    return labels[v.slice(0, eq)] === v.slice(eq + 1);
  });
}

/** "80", "80/tcp", "8000-8080/udp" → [port numbers, proto]. */
function parsePortFilter(v: string): { from: number; to: number; proto: string } {
  const [ports, proto = 'tcp'] = v.split('/');
  const [a, b] = ports.split('-');
  const from = Number(a);
  const to = b === undefined ? from : Number(b);
  if (!Number.isInteger(from) || !Number.isInteger(to)) throw new InvalidArgument(`invalid port filter ${v}`);
  return { from, to, proto };
}

function portsMatch(values: string[] | undefined, ports: string[]): boolean {
  if (!values?.length) return true;
  return values.some((v) => {
    const f = parsePortFilter(v);
    return ports.some((p) => {
      const [n, proto = 'tcp'] = p.split('/');
      return proto === f.proto && Number(n) >= f.from && Number(n) <= f.to;
    });
  });
}

export function stateString(c: ContainerRecord): string {
  return c.state.Status;
}

/** `containers` must be newest first. */
export function selectContainers(containers: ContainerRecord[], opts: ListOptions, ctx: ListContext): ContainerRecord[] {
  const f = opts.filters;
  checkFilterKeys(f, LIST_FILTERS);
  let all = opts.all || opts.limit > 0;
  for (const s of f.get('status') ?? []) {
    if (!STATUSES.includes(s)) throw new InvalidArgument(`invalid filter 'status=${s}'`);
    all = true;
  }
  for (const h of f.get('health') ?? [])
    if (!HEALTH.includes(h))
      throw new InvalidArgument(`Unrecognised filter value for health: ${h}`);
  const exited = (f.get('exited') ?? []).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgument(`invalid filter 'exited=${v}'`);
    return n;
  });
  const before = (f.get('before') ?? []).map((r) => ctx.find(r));
  const since = (f.get('since') ?? []).map((r) => ctx.find(r));
  const ancestors = f.has('ancestor') ? new Set((f.get('ancestor') ?? []).flatMap((a) => ctx.ancestorIds(a))) : null;
  const ancestorRefs = f.get('ancestor') ?? [];

  const out: ContainerRecord[] = [];
  for (const c of containers) {
    if (since.length && since.some((s) => c.created <= s.created)) continue;
    if (before.length && before.some((b) => c.created >= b.created)) continue;
    if (!all && !c.state.Running) continue;
    if (!regexMatch(f.get('id'), c.id)) continue;
    if (!regexMatch(f.get('name'), c.name, c.name.slice(1))) continue;
    if (!labelsMatch(f.get('label'), c.config.Labels ?? {})) continue;
    if (f.has('status') && !(f.get('status') ?? []).includes(stateString(c))) continue;
    if (exited.length && (c.state.Running || !c.hasBeenStarted || !exited.includes(c.state.ExitCode))) continue;
    if (f.has('health') && !(f.get('health') ?? []).includes(c.state.Health?.Status ?? 'none')) continue;
    if (ancestors && !ancestors.has(c.imageId) && !ancestorRefs.includes(c.config.Image)) continue;
    if (f.has('network')) {
      const nets = ctx.networkNamesOf(c);
      if (!(f.get('network') ?? []).some((n) => nets.includes(n) || networkMode(c) === n)) continue;
    }
    if (f.has('volume')) {
      const vols = ctx.volumeRefsOf(c);
      if (!(f.get('volume') ?? []).some((v) => vols.includes(v))) continue;
    }
    if (!portsMatch(f.get('expose'), Object.keys(c.config.ExposedPorts ?? {}))) continue;
    if (!portsMatch(f.get('publish'), publishedPorts(c))) continue;
    out.push(c);
    if (opts.limit > 0 && out.length >= opts.limit) break;
  }
  return out;
}

/** Published ports as "hostPort/proto" and "containerPort/proto" (Docker matches either side). */
function publishedPorts(c: ContainerRecord): string[] {
  const out: string[] = [];
  for (const [key, bindings] of Object.entries((c.hostConfig.PortBindings ?? {}) as Record<string, { HostPort?: string }[] | null>)) {
    const proto = key.split('/')[1] ?? 'tcp';
    out.push(key.includes('/') ? key : `${key}/tcp`);
    for (const b of bindings ?? []) if (b.HostPort) out.push(`${b.HostPort}/${proto}`);
  }
  return out;
}
