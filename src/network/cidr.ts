// IPv4 addresses and subnets as numbers: parsing, containment and overlap.
// Pure, so the IPAM rules can be unit-tested without touching the host.
import { InvalidArgument } from '../api/errors.js';

export interface Subnet {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function parseIp(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) throw new InvalidArgument(`invalid IP address: ${s}`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new InvalidArgument(`invalid IP address: ${s}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function isIpv4(s: string): boolean {
  try {
    parseIp(s);
    return true;
  } catch {
    return false;
  }
}

export function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.0.0/16" → Subnet; host bits must be zero unless `loose` (ip-range, bip). */
export function parseCidr(s: string, loose = false): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m || Number(m[2]) > 32) throw new InvalidArgument(`invalid CIDR address: ${s}`);
  const prefix = Number(m[2]);
  const ip = parseIp(m[1]);
  const base = (ip & mask(prefix)) >>> 0;
  if (!loose && base !== ip)
    throw new InvalidArgument(`invalid subnet ${s}: it should be ${ipString(base)}/${prefix}`);
  return { base, prefix };
}

export function cidrString(s: Subnet): string {
  return `${ipString(s.base)}/${s.prefix}`;
}

export function size(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function contains(s: Subnet, ip: number): boolean {
  return (ip & mask(s.prefix)) >>> 0 === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(p)) >>> 0 === (b.base & mask(p)) >>> 0;
}

/** Splits `pool` into subnets of `prefix` bits, in order. */
export function* split(pool: Subnet, prefix: number): Generator<Subnet> {
  if (prefix < pool.prefix) return;
  const step = 2 ** (32 - prefix);
  for (let b = pool.base; b < pool.base + size(pool); b += step) yield { base: b >>> 0, prefix };
}
