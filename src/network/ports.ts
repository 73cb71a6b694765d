// Published ports: from HostConfig.PortBindings (+ -P over ExposedPorts) to
// concrete host ports, with Docker's random range and its "port is already
// allocated" check (a real bind on the host address, so ports held by any
// other program count), and the JSON shapes inspect and ps show.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { InvalidArgument } from '../api/errors.js';
import type { PortMapping } from './model.js';

export interface PortRequest {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp: string;
  /** Inclusive range; [0, 0] = any free port. */
  hostPorts: [number, number];
}

export function parsePortKey(key: string): { port: number; proto: 'tcp' | 'udp' | 'sctp' } {
  const [p, proto = 'tcp'] = key.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || !['tcp', 'udp', 'sctp'].includes(proto))
    throw new InvalidArgument(`invalid port specification: "${key}"`);
  return { port, proto: proto as 'tcp' | 'udp' | 'sctp' };
}

/** What the container asks to publish: explicit bindings, plus every exposed port with -P. */
export function portRequests(
  bindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined,
  exposed: Record<string, object> | null | undefined,
  publishAll: boolean,
): PortRequest[] {
  const out: PortRequest[] = [];
  const keys = new Set(Object.keys(bindings ?? {}));
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = parsePortKey(key);
    for (const b of list ?? [{}])
      out.push({
        proto,
        containerPort: port,
        hostIp: b.HostIp || '0.0.0.0',
        hostPorts: hostRange(b.HostPort),
      });
  }
  if (publishAll)
    for (const key of Object.keys(exposed ?? {})) {
      if (keys.has(key)) continue;
      const { port, proto } = parsePortKey(key);
      out.push({ proto, containerPort: port, hostIp: '0.0.0.0', hostPorts: [0, 0] });
    }
  return out;
}

function hostRange(s: string | undefined): [number, number] {
  if (!s || s === '0') return [0, 0];
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new InvalidArgument(`invalid hostPort: ${s}`);
  const a = Number(m[1]);
  const b = m[2] ? Number(m[2]) : a;
  if (a < 1 || b > 65535 || b < a) throw new InvalidArgument(`invalid hostPort: ${s}`);
  return [a, b];
}

export function ephemeralRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (a > 0 && b >= a) return [a, b];
  } catch {
    /* default below */
  }
  return [32768, 60999];
}

/** Binds and closes at once: true if the address is free for this protocol. */
export function canBind(proto: string, hostIp: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind({ address: hostIp, port, exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: hostIp, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export class PortAllocator {
  /** "proto/port" of host ports berth has published (they are not bound, DNAT holds them). */
  private readonly held = new Map<string, string>();

  holdExisting(containerId: string, ports: PortMapping[]): void {
    for (const p of ports) this.held.set(`${p.proto}/${p.hostPort}`, containerId);
  }

  release(containerId: string): void {
    for (const [k, v] of this.held) if (v === containerId) this.held.delete(k);
  }

  /** Turns requests into mappings; throws Docker's error (and holds nothing) when a port is taken. */
  async allocate(containerId: string, endpointName: string, reqs: PortRequest[]): Promise<PortMapping[]> {
    const out: PortMapping[] = [];
    const taken = (proto: string, port: number): boolean =>
      this.held.has(`${proto}/${port}`) || out.some((o) => o.proto === proto && o.hostPort === port);
    try {
      for (const r of reqs) {
        let [lo, hi] = r.hostPorts;
        const random = lo === 0;
        if (random) [lo, hi] = ephemeralRange();
        const n = hi - lo + 1;
        const start = random ? Math.floor(Math.random() * n) : 0;
        let chosen = 0;
        for (let i = 0; i < n; i++) {
          const port = lo + ((start + i) % n);
          if (taken(r.proto, port)) continue;
          if (r.proto === 'sctp' || (await canBind(r.proto, r.hostIp, port))) {
            chosen = port;
            break;
          }
          if (!random && n === 1) break;
        }
        if (!chosen) {
          const where = `${r.hostIp}:${r.hostPorts[0]}`;
          throw new PortAllocatedError(
            random || n > 1
              ? `driver failed programming external connectivity on endpoint ${endpointName} (${containerId}): all ports are allocated`
              : `driver failed programming external connectivity on endpoint ${endpointName} (${containerId}): Bind for ${where} failed: port is already allocated`,
          );
        }
        out.push({ proto: r.proto, containerPort: r.containerPort, hostIp: r.hostIp, hostPort: chosen });
        this.held.set(`${r.proto}/${chosen}`, containerId);
      }
    } catch (e) {
      for (const o of out) this.held.delete(`${o.proto}/${o.hostPort}`);
      throw e;
    }
    return out;
  }
}

export class PortAllocatedError extends Error {}

/** NetworkSettings.Ports: every exposed or bound port, bound ones with their host addresses. */
export function portsJson(
  exposed: Record<string, object> | null | undefined,
  bindings: Record<string, unknown> | null | undefined,
  mapped: PortMapping[] | null,
): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const k of [...Object.keys(exposed ?? {}), ...Object.keys(bindings ?? {})]) out[k] = null;
  for (const m of mapped ?? []) {
    const key = `${m.containerPort}/${m.proto}`;
    (out[key] ??= []).push({ HostIp: m.hostIp, HostPort: String(m.hostPort) });
  }
  return out;
}

/** `GET /containers/json` Ports. */
export function portsSummary(
  exposed: Record<string, object> | null | undefined,
  mapped: PortMapping[] | null,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const m of mapped ?? []) {
    out.push({ IP: m.hostIp, PrivatePort: m.containerPort, PublicPort: m.hostPort, Type: m.proto });
    seen.add(`${m.containerPort}/${m.proto}`);
  }
  for (const k of Object.keys(exposed ?? {})) {
    if (seen.has(k)) continue;
    const [p, proto = 'tcp'] = k.split('/');
    out.push({ PrivatePort: Number(p), Type: proto });
  }
  return out;
}
