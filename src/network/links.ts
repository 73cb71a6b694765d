// Kernel plumbing through iproute2: Linux bridges, network namespace files
// (bind mounts under the exec root), and veth pairs between them. The
// per-container steps (namespace, veth, its addresses) go through the native
// addon when it is there -- no unshare/ip/umount spawns on the `docker run`
// path -- and through the tools otherwise (src/util/native.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MNT_DETACH, withNative } from '../util/native.js';
import { CommandError, ipBatch, run } from './exec.js';

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/**
 * Creates a bridge only if no link has the name: the kernel's "File exists"
 * makes the claim atomic between berthds choosing names at the same moment.
 */
export async function claimBridge(name: string): Promise<boolean> {
  if (linkExists(name)) return false;
  return run('ip', ['link', 'add', name, 'type', 'bridge']).then(
    () => true,
    () => false,
  );
}

/** Names of the host's network interfaces. */
export async function listLinks(): Promise<string[]> {
  return fs.readdir('/sys/class/net').catch(() => []);
}

/** A bridge that exists but was never given an address (claimed, not plumbed). */
export async function isBareBridge(name: string): Promise<boolean> {
  if (!existsSync(`/sys/class/net/${name}/bridge`)) return false;
  const addrs = await run('ip', ['-o', 'addr', 'show', 'dev', name]).catch(() => 'unknown');
  return addrs.trim() === '';
}

/** Creates (or re-addresses) a bridge with the gateway address, up. */
export async function ensureBridge(name: string, gatewayCidr: string, mtu = 1500): Promise<void> {
  if (!linkExists(name)) await ipBatch([`link add ${name} type bridge`, `link set ${name} mtu ${mtu}`]);
  const have = await run('ip', ['-4', '-o', 'addr', 'show', 'dev', name]);
  const lines = [];
  if (!have.includes(` ${gatewayCidr} `)) lines.push(`addr replace ${gatewayCidr} dev ${name}`);
  lines.push(`link set ${name} up`);
  await ipBatch(lines);
  // 127.0.0.1 published ports are DNATed to this bridge (see iptables.ts).
  writeFileSync(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1');
}

export async function deleteLink(name: string): Promise<void> {
  if (!linkExists(name)) return;
  await run('ip', ['link', 'del', name]).catch((e: CommandError) => {
    if (linkExists(name)) throw e;
  });
}

/** A fresh network namespace held by a bind mount at `file`, loopback up. */
export async function createNetns(file: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o711 });
  await deleteNetns(file);
  await fs.writeFile(file, '');
  await withNative(
    'netns',
    (sys) => sys.netnsCreate(file),
    // One spawn: unshare binds the new namespace to `file` and runs `ip` inside it.
    async () => {
      await run('unshare', [`--net=${file}`, 'ip', 'link', 'set', 'lo', 'up']);
    },
  );
}

export async function deleteNetns(file: string): Promise<void> {
  if (!existsSync(file)) return;
  await withNative(
    'umount',
    (sys) => sys.umount2(file, MNT_DETACH),
    async () => {
      await run('umount', ['-l', file]);
    },
  ).catch(() => undefined);
  await fs.rm(file, { force: true });
}

export function newVethName(): string {
  return 'veth' + randomBytes(4).toString('hex').slice(0, 7);
}

export interface VethSpec {
  hostVeth: string;
  bridge: string;
  netns: string;
  ifname: string;
  cidr: string;
  mac: string;
  /** Default route through this gateway (first non-internal network). */
  gateway?: string;
  mtu?: number;
}

/** veth pair: host end on the bridge, container end in the namespace with its address and routes. */
export async function addVeth(v: VethSpec): Promise<void> {
  const mtu = v.mtu ?? 1500;
  const [address, prefix] = v.cidr.split('/');
  await withNative(
    'veth',
    (sys) => {
      sys.vethCreate(v.hostVeth, v.ifname, mtu, v.bridge, v.netns);
      sys.netnsConfigure(v.netns, v.ifname, v.mac, address, Number(prefix), v.gateway ?? null);
    },
    () => addVethWithIp(v, mtu),
  );
}

async function addVethWithIp(v: VethSpec, mtu: number): Promise<void> {
  await ipBatch([
    `link add ${v.hostVeth} mtu ${mtu} type veth peer name ${v.ifname} mtu ${mtu} netns ${v.netns}`,
    `link set ${v.hostVeth} master ${v.bridge}`,
    `link set ${v.hostVeth} up`,
  ]);
  const inner = [
    `link set ${v.ifname} address ${v.mac}`,
    `addr add ${v.cidr} dev ${v.ifname}`,
    `link set ${v.ifname} up`,
  ];
  if (v.gateway) inner.push(`route replace default via ${v.gateway} dev ${v.ifname}`);
  await ipBatch(inner, v.netns);
}

/** Interfaces inside a namespace (to pick the next ethN). */
export async function netnsLinks(netns: string): Promise<string[]> {
  const out = await run('nsenter', [`--net=${netns}`, 'ip', '-o', 'link', 'show']);
  return out
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
}

/** Host veths enslaved to a bridge (to find strays after a crash). */
export async function bridgePorts(bridge: string): Promise<string[]> {
  try {
    return await fs.readdir(`/sys/class/net/${bridge}/brif`);
  } catch {
    return [];
  }
}
