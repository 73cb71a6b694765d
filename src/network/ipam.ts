// Address management: pick a subnet that collides with nothing on the host
// (routes, other networks, docker0's 172.17.0.0/16), and hand out addresses
// inside a network (gateway first, then the ip-range, static --ip honoured).
import { Conflict, InvalidArgument } from '../api/errors.js';
import { contains, ipString, parseCidr, parseIp, size, split, type Subnet } from './cidr.js';
import { run } from './exec.js';

/** Docker's default bridge; kept free even when no dockerd runs, so both engines can share the host. */
export const DOCKER0 = parseCidr('172.17.0.0/16');

export interface Pool {
  base: string;
  size: number;
}

/** berth's defaults: the default bridge first tries 10.88.0.0/16, then /24s of 10.87/16; user networks get /24s of 10.89/16. */
export const DEFAULT_BRIDGE_POOLS: Pool[] = [
  { base: '10.88.0.0/16', size: 16 },
  { base: '10.87.0.0/16', size: 24 },
];
export const DEFAULT_ADDRESS_POOLS: Pool[] = [{ base: '10.89.0.0/16', size: 24 }];

/** Destinations of every IPv4 route on the host (all tables), except default routes. */
export async function hostRouteSubnets(): Promise<Subnet[]> {
  const out = await run('ip', ['-4', '-o', 'route', 'show', 'table', 'all']).catch(() => '');
  const subnets: Subnet[] = [];
  for (const line of out.split('\n')) {
    let dst = line.trim().split(/\s+/)[0];
    if (['broadcast', 'local', 'unreachable', 'prohibit', 'blackhole', 'multicast'].includes(dst))
      dst = line.trim().split(/\s+/)[1];
    if (!dst || dst === 'default') continue;
    try {
      subnets.push(parseCidr(dst.includes('/') ? dst : dst + '/32', true));
    } catch {
      /* not an IPv4 destination */
    }
  }
  // Loopback "local" routes cover 127/8; host addresses (/32 locals) are fine to sit beside.
  return subnets.filter((s) => s.prefix < 32 && s.base >>> 24 !== 127);
}

export function overlapsAny(s: Subnet, taken: Subnet[]): boolean {
  return taken.some((t) => {
    const p = Math.min(s.prefix, t.prefix);
    const m = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
    return (s.base & m) >>> 0 === (t.base & m) >>> 0;
  });
}

/** The first subnet of the pools that overlaps nothing taken. */
export function chooseSubnet(pools: Pool[], taken: Subnet[]): Subnet {
  for (const pool of pools) {
    const p = parseCidr(pool.base, true);
    for (const s of split({ base: p.base, prefix: p.prefix }, pool.size))
      if (!overlapsAny(s, [...taken, DOCKER0])) return s;
  }
  throw new InvalidArgument(
    'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
  );
}

export function checkNoOverlap(s: Subnet, otherNetworks: Subnet[]): void {
  if (overlapsAny(s, otherNetworks))
    throw new Conflict('invalid pool request: Pool overlaps with other one on this address space');
}

export interface AddressSpace {
  subnet: Subnet;
  gateway: number;
  /** Where dynamic addresses come from (the whole subnet unless --ip-range). */
  range: Subnet;
}

export function addressSpace(subnet: string, gateway: string, ipRange?: string): AddressSpace {
  const s = parseCidr(subnet);
  const range = ipRange ? parseCidr(ipRange, true) : s;
  return { subnet: s, gateway: parseIp(gateway), range };
}

/** The next free address after the last one handed out (Docker allocates sequentially, wrapping). */
export function allocateIp(space: AddressSpace, used: Set<number>, requested?: string): number {
  if (requested) {
    const ip = parseIp(requested);
    if (!contains(space.subnet, ip))
      throw new InvalidArgument(
        `invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${requested}`,
      );
    if (used.has(ip) || ip === space.gateway) throw new Conflict('Address already in use');
    return ip;
  }
  const first = space.range.base;
  const n = size(space.range);
  const broadcast = space.subnet.base + size(space.subnet) - 1;
  for (let i = 0; i < n; i++) {
    const ip = (first + i) >>> 0;
    if (ip === space.subnet.base || ip === broadcast || ip === space.gateway || used.has(ip)) continue;
    return ip;
  }
  throw new Conflict(
    `no available IPv4 addresses on this network's address pools: ${ipString(space.subnet.base)}/${space.subnet.prefix}`,
  );
}

/** Docker's MAC from the address: 02:42 followed by the four IPv4 bytes. */
export function macFor(ip: number): string {
  return [
    '02',
    '42',
    ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => b.toString(16).padStart(2, '0')),
  ].join(':');
}
