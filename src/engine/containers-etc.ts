// The per-container /etc/hosts, /etc/resolv.conf and /etc/hostname files that
// are bind-mounted into the container. They are rewritten in place (not
// renamed) because a bind mount pins the inode.
import { readFileSync, writeFileSync } from 'node:fs';

const HOSTS_BASE = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::\tip6-localnet',
  'ff00::\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export interface EtcInput {
  hostname: string;
  domainname: string;
  networkMode: string;
  /** The container's address on its network, when it has one. */
  ip?: string;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

export function hostsFile(e: EtcInput, hostHosts = readOr('/etc/hosts', '')): string {
  if (e.networkMode === 'host') return hostHosts;
  const lines = [...HOSTS_BASE];
  // --add-host name:ip (Docker also accepts name=ip).
  for (const h of e.extraHosts) {
    const m = /^([^:=]+)[:=](.+)$/.exec(h);
    if (m) lines.push(`${m[2]}\t${m[1]}`);
  }
  if (e.ip) {
    const fqdn = e.domainname ? `${e.hostname}.${e.domainname} ${e.hostname}` : e.hostname;
    lines.push(`${e.ip}\t${fqdn}`);
  }
  return lines.join('\n') + '\n';
}

const LOOPBACK = /^(127\.|::1$|0:0:0:0:0:0:0:1$)/;

/** The host's resolv.conf minus loopback nameservers, with overrides; Docker's public fallback when empty. */
export function resolvConf(e: EtcInput, hostResolv = readOr('/etc/resolv.conf', '')): string {
  if (e.networkMode === 'host' && !e.dns.length && !e.dnsSearch.length && !e.dnsOptions.length) return hostResolv;
  const keepLoopback = e.networkMode === 'host';
  let nameservers: string[] = [];
  let search: string[] = [];
  let options: string[] = [];
  const other: string[] = [];
  for (const raw of hostResolv.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver') {
      if (rest[0] && (keepLoopback || !LOOPBACK.test(rest[0]))) nameservers.push(rest[0]);
    } else if (key === 'search' || key === 'domain') search = rest;
    else if (key === 'options') options.push(...rest);
    else other.push(line);
  }
  if (e.dns.length) nameservers = [...e.dns];
  if (e.dnsSearch.length) search = e.dnsSearch.filter((s) => s !== '.');
  if (e.dnsOptions.length) options = [...e.dnsOptions];
  if (nameservers.length === 0) nameservers = ['8.8.8.8', '8.8.4.4'];
  const out: string[] = [];
  if (search.length) out.push('search ' + search.join(' '));
  for (const ns of nameservers) out.push('nameserver ' + ns);
  if (options.length) out.push('options ' + options.join(' '));
  out.push(...other);
  return out.join('\n') + '\n';
}

export function hostnameFile(e: EtcInput): string {
  return e.hostname + '\n';
}

/** Writes the three files in place (keeps the inode a running container has mounted). */
export function writeEtcFiles(paths: { hosts: string; resolvConf: string; hostname: string }, e: EtcInput): void {
  writeFileSync(paths.hosts, hostsFile(e), { mode: 0o644 });
  writeFileSync(paths.resolvConf, resolvConf(e), { mode: 0o644 });
  writeFileSync(paths.hostname, hostnameFile(e), { mode: 0o644 });
}

function readOr(file: string, dflt: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return dflt;
  }
}
