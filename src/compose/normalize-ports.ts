// Port publishing in short syntax (`"80"`, `"8080:80"`, `"127.0.0.1:8080:80/udp"`,
// ranges, `[::1]:80:80`) and long syntax, turned into Compose's long form.
import { ComposeError, type Port } from './model.js';

export function normalizePorts(service: string, raw: unknown): Port[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ComposeError(`services.${service}.ports must be a list`);
  const out: Port[] = [];
  for (const item of raw) {
    if (typeof item === 'number') out.push({ mode: 'ingress', target: item, protocol: 'tcp' });
    else if (typeof item === 'string') out.push(...parsePortSpec(item));
    else if (item && typeof item === 'object') out.push(longPort(service, item as Record<string, unknown>));
  }
  return dedupePorts(out);
}

function longPort(service: string, p: Record<string, unknown>): Port {
  // The schema lets strings through (they may come from variables); they must still be port numbers.
  const target = Number(p.target);
  if (!Number.isInteger(target) || target < 0 || target > 65535) {
    throw new ComposeError(
      `services.${service}.ports.target: invalid port ${JSON.stringify(String(p.target))}`,
    );
  }
  const port: Port = {
    mode: (p.mode as Port['mode']) ?? 'ingress',
    target,
    protocol: ((p.protocol as string) ?? 'tcp') as Port['protocol'],
  };
  if (p.host_ip !== undefined) port.host_ip = String(p.host_ip);
  if (p.published !== undefined && p.published !== null && p.published !== '')
    port.published = String(p.published);
  if (p.name !== undefined) port.name = String(p.name);
  if (p.app_protocol !== undefined)
    (port as unknown as Record<string, unknown>).app_protocol = p.app_protocol;
  return orderPort(port);
}

/** Compose prints a port's keys in this order. */
function orderPort(p: Port): Port {
  const o: Record<string, unknown> = {};
  for (const k of ['name', 'mode', 'host_ip', 'target', 'published', 'protocol', 'app_protocol']) {
    const v = (p as unknown as Record<string, unknown>)[k];
    if (v !== undefined) o[k] = v;
  }
  return o as unknown as Port;
}

function invalid(spec: string): ComposeError {
  return new ComposeError(`Invalid containerPort: ${spec}`);
}

function parseRange(s: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw invalid(spec);
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a;
  if (a > 65535 || b > 65535 || b < a) throw invalid(spec);
  return [a, b];
}

/** One short-syntax entry; a container port range becomes one entry per port. */
export function parsePortSpec(spec: string): Port[] {
  let rest = spec.trim();
  let protocol: Port['protocol'] = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const proto = rest.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')
      throw new ComposeError(`invalid proto: ${proto}`);
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  let hostPart: string | undefined;
  let containerPart: string;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    const parts = v6[2]!.split(':');
    if (parts.length !== 2) throw invalid(spec);
    hostPart = parts[0];
    containerPart = parts[1]!;
  } else {
    const parts = rest.split(':');
    if (parts.length === 1) containerPart = parts[0]!;
    else if (parts.length === 2) [hostPart, containerPart] = parts as [string, string];
    else if (parts.length === 3) [hostIp, hostPart, containerPart] = parts as [string, string, string];
    else {
      // An unbracketed IPv6 host address: everything before the last two fields.
      containerPart = parts.pop()!;
      hostPart = parts.pop();
      hostIp = parts.join(':');
    }
  }
  const [cStart, cEnd] = parseRange(containerPart, spec);
  const count = cEnd - cStart + 1;
  let published: string[] | undefined;
  if (hostPart) {
    const [hStart, hEnd] = parseRange(hostPart, spec);
    if (hEnd - hStart + 1 === count) published = Array.from({ length: count }, (_, i) => String(hStart + i));
    else if (count === 1) published = [hStart === hEnd ? String(hStart) : `${hStart}-${hEnd}`];
    else
      throw new ComposeError(
        `Invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`,
      );
  }
  const out: Port[] = [];
  for (let i = 0; i < count; i++) {
    const p: Port = { mode: 'ingress', target: cStart + i, protocol };
    if (hostIp) p.host_ip = hostIp;
    if (published) p.published = published[i];
    out.push(orderPort(p));
  }
  return out;
}

function dedupePorts(ports: Port[]): Port[] {
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = JSON.stringify(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function normalizeExpose(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return [...new Set(raw.map((v) => String(v)))];
}
