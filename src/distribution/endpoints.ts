// Which URLs serve a registry domain, Docker's way: docker.io is served by
// registry-1.docker.io (mirrors first); insecure registries (daemon.json
// `insecure-registries`, hostnames or CIDRs, plus 127.0.0.0/8 and ::1 by
// default) are tried over HTTPS without verification, then plain HTTP.
import net from 'node:net';
import { DEFAULT_DOMAIN } from '../image/reference.js';

export const DOCKER_HUB_REGISTRY = 'https://registry-1.docker.io';
/** The key docker login uses for Docker Hub in config.json. */
export const DOCKER_HUB_INDEX = 'https://index.docker.io/v1/';

export interface Endpoint {
  /** Base URL without trailing slash: `https://registry-1.docker.io`. */
  url: string;
  /** TLS certificates are not verified (insecure registry). */
  skipVerify: boolean;
  mirror: boolean;
  /** The registry domain the reference named (`localhost:5000`), for certs.d and credentials. */
  host: string;
}

export interface RegistryOptions {
  insecureRegistries: string[];
  registryMirrors: string[];
}

/** IPv4 address → 32-bit integer, or null. */
function ipv4(addr: string): number | null {
  if (!net.isIPv4(addr)) return null;
  return addr.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

function inCidr(addr: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const a = ipv4(addr);
  const b = ipv4(base);
  if (a === null || b === null || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

/** Host part of `host:port` / `[v6]:port`. */
export function hostOnly(domain: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(domain);
  if (v6) return v6[1];
  return domain.replace(/:\d+$/, '');
}

/** Docker's isSecureIndex: a registry that must use verified TLS. */
export function isInsecure(domain: string, opts: RegistryOptions): boolean {
  const host = hostOnly(domain);
  const list = opts.insecureRegistries;
  if (list.includes(domain) || list.includes(host)) return true;
  if (host === 'localhost' || host === '::1') return true;
  const cidrs = ['127.0.0.0/8', ...list.filter((e) => e.includes('/'))];
  return cidrs.some((c) => inCidr(host, c));
}

function trimUrl(u: string): string {
  return u.replace(/\/+$/, '');
}

/** The endpoints to try, in order, for a registry domain. */
export function endpointsFor(domain: string, opts: RegistryOptions): Endpoint[] {
  const out: Endpoint[] = [];
  if (domain === DEFAULT_DOMAIN) {
    for (const m of opts.registryMirrors) {
      const url = trimUrl(m);
      const mirrorHost = new URL(url).host;
      const insecure = url.startsWith('http://') || isInsecure(mirrorHost, opts);
      out.push({ url, skipVerify: insecure, mirror: true, host: mirrorHost });
    }
    out.push({ url: DOCKER_HUB_REGISTRY, skipVerify: false, mirror: false, host: domain });
    return out;
  }
  if (isInsecure(domain, opts)) {
    out.push({ url: `https://${domain}`, skipVerify: true, mirror: false, host: domain });
    out.push({ url: `http://${domain}`, skipVerify: true, mirror: false, host: domain });
  } else out.push({ url: `https://${domain}`, skipVerify: false, mirror: false, host: domain });
  return out;
}

/** The config.json key credentials for a domain are stored under. */
export function credentialKey(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === 'index.docker.io' ? DOCKER_HUB_INDEX : domain;
}

/** `docker login <server>` argument → registry domain (`https://x:5000/` → `x:5000`). */
export function serverDomain(server: string): string {
  let s = server.trim();
  if (
    !s ||
    s === DOCKER_HUB_INDEX ||
    /^(https?:\/\/)?(index\.)?docker\.io(\/.*)?$/.test(s) ||
    /registry-1\.docker\.io/.test(s)
  )
    return DEFAULT_DOMAIN;
  s = s.replace(/^https?:\/\//, '');
  return s.split('/')[0];
}
