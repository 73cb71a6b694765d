// The network service: the predefined networks (bridge, host, none),
// user-defined bridge networks (create, inspect, list, remove, prune) and
// their kernel side (bridge, rules, embedded DNS). Containers joining and
// leaving networks is networks-attach.ts; connect/disconnect go through it.
import { randomBytes } from 'node:crypto';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../api/errors.js';
import type { Filters } from '../api/query.js';
import { cidrString, contains, ipString, parseCidr, parseIp, type Subnet } from '../network/cidr.js';
import { EmbeddedDns } from '../network/dns-server.js';
import { Firewall, networkRules } from '../network/iptables.js';
import {
  checkNoOverlap,
  chooseSubnet,
  DEFAULT_ADDRESS_POOLS,
  DEFAULT_BRIDGE_POOLS,
  hostRouteSubnets,
  overlapsAny,
  type Pool,
} from '../network/ipam.js';
import { claimBridge, deleteLink, ensureBridge, linkExists } from '../network/links.js';
import type { EndpointRecord, NetworkRecord } from '../network/model.js';
import { NetworkStore } from '../network/store.js';
import { bridgesOfOthers, reapOrphans, removeOwner, withSubnetLock, writeOwner } from '../network/owners.js';
import type { DB } from '../store/db.js';
import type { Logger } from '../util/log.js';
import type { DaemonConfig } from './config.js';
import type { ContainerRecord } from './containers-model.js';
import type { EventBus } from './events.js';
import { nowNano } from './containers-model.js';
import { networkJson } from './networks-view.js';

export interface ContainerAccess {
  find(ref: string): ContainerRecord;
  all(): ContainerRecord[];
  save(c: ContainerRecord): void;
}

export interface NetworkDeps {
  db: DB;
  events: EventBus;
  config: DaemonConfig;
  log: Logger;
  engineId: string;
  dataRoot: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PREDEFINED = ['bridge', 'host', 'none'];
const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';

export class NetworkCore {
  readonly store: NetworkStore;
  readonly firewall: Firewall;
  readonly dns: EmbeddedDns;
  /** Short engine id marking our rules and our note in the owners directory. */
  readonly tag: string;
  containers!: ContainerAccess;
  /** Networks by id, and endpoints by network id then container id (the DB, in memory). */
  readonly nets = new Map<string, NetworkRecord>();
  readonly eps = new Map<string, Map<string, EndpointRecord>>();

  constructor(readonly deps: NetworkDeps) {
    this.store = new NetworkStore(deps.db);
    this.tag = deps.engineId.replace(/-/g, '').slice(0, 8);
    this.firewall = new Firewall(this.tag);
    this.dns = new EmbeddedDns((ip, name, client) => this.resolve(ip, name, client));
    for (const n of this.store.networks()) this.nets.set(n.id, n);
    for (const e of this.store.endpoints()) this.epsOf(e.networkId).set(e.containerId, e);
  }

  get iptables(): boolean {
    return this.deps.config.iptables !== false;
  }

  epsOf(networkId: string): Map<string, EndpointRecord> {
    let m = this.eps.get(networkId);
    if (!m) this.eps.set(networkId, (m = new Map()));
    return m;
  }

  /** By full name, full id, or unique id prefix (Docker's lookup order). */
  find(ref: string): NetworkRecord {
    const all = [...this.nets.values()];
    const hit =
      all.find((n) => n.name === ref) ??
      all.find((n) => n.id === ref) ??
      (() => {
        const pre = ref.length > 0 ? all.filter((n) => n.id.startsWith(ref)) : [];
        if (pre.length > 1)
          throw new NotFound(`network ${ref} is ambiguous (${pre.length} matches found based on ID prefix)`);
        return pre[0];
      })();
    if (!hit) throw new NotFound(`network ${ref} not found`);
    return hit;
  }

  /** Predefined networks and the kernel side of every bridge network (start-up, also after a crash). */
  async init(): Promise<void> {
    const reaped = await reapOrphans(this.tag, this.iptables);
    if (reaped.length) this.deps.log.info('removed networks of vanished engines', { tags: reaped.join(',') });
    this.noteOwner();
    if (this.iptables) await this.firewall.ensureChains();
    for (const [name, driver] of [
      ['host', 'host'],
      ['none', 'null'],
    ])
      if (![...this.nets.values()].some((n) => n.name === name)) this.save(predefined(name, driver));
    await withSubnetLock(async () => {
      if (![...this.nets.values()].some((n) => n.isDefault)) await this.createDefaultBridge();
      await this.resolveClashes();
      this.noteOwner();
      for (const n of this.nets.values()) if (n.driver === 'bridge') await this.plumb(n);
    });
  }

  /** Records which bridges are ours (owners.ts), before they exist, so a crash never orphans one unnoticed. */
  private noteOwner(extra: string[] = []): void {
    const bridges = [...[...this.nets.values()].map((n) => n.bridge).filter(Boolean), ...extra];
    try {
      writeOwner({ tag: this.tag, pid: process.pid, dataRoot: this.deps.dataRoot, bridges });
    } catch (e) {
      this.deps.log.warn('cannot record network ownership', { err: String(e) });
    }
  }

  /**
   * After a clean stop our bridges are gone, and another berthd may since have
   * taken the default bridge's name or subnet: pick new ones (only where berth
   * chose them, never a user's --subnet or bridge name) instead of sharing.
   */
  private async resolveClashes(): Promise<void> {
    const others = bridgesOfOthers(this.tag);
    for (const n of [...this.nets.values()]) {
      if (n.driver !== 'bridge' || (linkExists(n.bridge) && !others.has(n.bridge))) continue;
      let changed = false;
      if (n.isDefault && !this.deps.config.raw.bridge && (others.has(n.bridge) || linkExists(n.bridge))) {
        for (let i = 0; ; i++)
          if (
            !others.has(`berth${i}`) &&
            !this.bridgeInUse(`berth${i}`) &&
            (await claimBridge(`berth${i}`))
          ) {
            n.bridge = `berth${i}`;
            n.options[BRIDGE_NAME_OPT] = n.bridge;
            changed = true;
            break;
          }
      }
      const pickable = n.isDefault ? !this.deps.config.bip : !n.userSubnet;
      const ours = [...this.nets.values()].filter((x) => x !== n && x.subnet).map((x) => parseCidr(x.subnet));
      const taken = [...(await hostRouteSubnets()), ...ours];
      if (pickable && overlapsAny(parseCidr(n.subnet), taken)) {
        const s = chooseSubnet(
          n.isDefault
            ? DEFAULT_BRIDGE_POOLS
            : this.deps.config.defaultAddressPools?.length
              ? this.deps.config.defaultAddressPools
              : DEFAULT_ADDRESS_POOLS,
          taken,
        );
        n.subnet = cidrString(s);
        n.gateway = ipString(s.base + 1);
        changed = true;
      }
      if (changed) {
        this.deps.log.info('network moved to avoid a clash', {
          network: n.name,
          bridge: n.bridge,
          subnet: n.subnet,
        });
        this.save(n);
      }
    }
  }

  private async createDefaultBridge(): Promise<void> {
    const cfg = this.deps.config;
    const wanted = typeof cfg.raw.bridge === 'string' ? (cfg.raw.bridge as string) : '';
    let bridge = wanted;
    if (!bridge)
      for (let i = 0; !bridge; i++)
        if (!this.bridgeInUse(`berth${i}`) && (await claimBridge(`berth${i}`))) bridge = `berth${i}`;
    let subnet: Subnet;
    let gateway: string;
    if (cfg.bip) {
      const s = parseCidr(cfg.bip, true);
      subnet = parseCidr(
        cidrString({ base: (s.base & (0xffffffff << (32 - s.prefix))) >>> 0, prefix: s.prefix }),
      );
      gateway = ipString(s.base);
    } else {
      subnet = chooseSubnet(DEFAULT_BRIDGE_POOLS, await this.takenSubnets());
      gateway = ipString(subnet.base + 1);
    }
    this.save({
      ...blank('bridge', 'bridge', randomId()),
      bridge,
      subnet: cidrString(subnet),
      gateway,
      isDefault: true,
      options: {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': String(cfg.ipMasq !== false),
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        [BRIDGE_NAME_OPT]: bridge,
        'com.docker.network.driver.mtu': '1500',
      },
    });
  }

  private bridgeInUse(name: string): boolean {
    return [...this.nets.values()].some((n) => n.bridge === name);
  }

  /** Routes on the host that are not our own bridges', plus our networks. */
  private async takenSubnets(): Promise<Subnet[]> {
    const ours = [...this.nets.values()].filter((n) => n.subnet).map((n) => parseCidr(n.subnet));
    return [...(await hostRouteSubnets()), ...ours];
  }

  /** Bridge, rules and (user networks) the DNS listener. */
  async plumb(n: NetworkRecord): Promise<void> {
    const prefix = n.subnet.split('/')[1];
    await ensureBridge(n.bridge, `${n.gateway}/${prefix}`);
    if (this.iptables) {
      const key = `net:${n.bridge}`;
      if (!(await this.firewall.keys()).has(key))
        await this.firewall.add(key, networkRules(this.ruleInput(n)));
    }
    if (!n.isDefault) await this.dns.listen(n.gateway);
  }

  ruleInput(n: NetworkRecord): Parameters<typeof networkRules>[0] {
    const opt = (k: string, d: boolean): boolean =>
      n.options[k] === undefined ? d : n.options[k] === 'true';
    return {
      bridge: n.bridge,
      subnet: n.subnet,
      internal: n.internal,
      ipMasq: opt('com.docker.network.bridge.enable_ip_masquerade', this.deps.config.ipMasq !== false),
      icc: opt('com.docker.network.bridge.enable_icc', true),
    };
  }

  private async unplumb(n: NetworkRecord): Promise<void> {
    await this.dns.close(n.gateway);
    if (this.iptables) await this.firewall.remove(`net:${n.bridge}`);
    await deleteLink(n.bridge);
  }

  save(n: NetworkRecord): void {
    this.store.putNetwork(n);
    this.nets.set(n.id, n);
  }

  /** Subnets are chosen under the host-wide lock (see withSubnetLock). */
  create(body: Record<string, any>): Promise<{ Id: string; Warning: string }> {
    return withSubnetLock(() => this.createLocked(body));
  }

  private async createLocked(body: Record<string, any>): Promise<{ Id: string; Warning: string }> {
    const name = String(body.Name ?? '');
    if (!name) throw new InvalidArgument('network name must not be empty');
    if (PREDEFINED.includes(name))
      throw new Forbidden(`operation is not permitted on predefined ${name} network `);
    if (!NAME_RE.test(name))
      throw new InvalidArgument(`invalid name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if ([...this.nets.values()].some((n) => n.name === name))
      throw new Conflict(`network with name ${name} already exists`);
    const driver = body.Driver || 'bridge';
    if (driver !== 'bridge') throw new NotFound(`plugin "${driver}" not found`);
    const options: Record<string, string> = { ...(body.Options ?? {}) };
    const id = randomId();
    const bridge = options[BRIDGE_NAME_OPT] || `br-${id.slice(0, 12)}`;
    if (bridge.length > 15)
      throw new InvalidArgument(`bridge name ${bridge} is too long (15 characters at most)`);
    if (this.bridgeInUse(bridge) || linkExists(bridge))
      throw new Conflict(`bridge name ${bridge} is already in use`);
    const ipamCfg = (body.IPAM?.Config ?? []) as { Subnet?: string; IPRange?: string; Gateway?: string }[];
    const c0 = ipamCfg.find((c) => c.Subnet && !c.Subnet.includes(':')) ?? ipamCfg[0] ?? {};
    const ours = [...this.nets.values()].filter((n) => n.subnet).map((n) => parseCidr(n.subnet));
    let subnet: Subnet;
    if (c0.Subnet) {
      subnet = parseCidr(c0.Subnet);
      checkNoOverlap(subnet, ours);
    } else {
      if (c0.IPRange || c0.Gateway)
        throw new InvalidArgument('invalid pool request: gateway or ip-range given without a subnet');
      const pools: Pool[] = this.deps.config.defaultAddressPools?.length
        ? this.deps.config.defaultAddressPools
        : DEFAULT_ADDRESS_POOLS;
      subnet = chooseSubnet(pools, await this.takenSubnets());
    }
    let gateway = ipString(subnet.base + 1);
    if (c0.Gateway) {
      if (!contains(subnet, parseIp(c0.Gateway)))
        throw new InvalidArgument(
          `Invalid gateway address ${c0.Gateway}: It does not belong to the subnet ${cidrString(subnet)}`,
        );
      gateway = c0.Gateway;
    }
    if (c0.IPRange) {
      const r = parseCidr(c0.IPRange, true);
      if (!contains(subnet, r.base) || r.prefix < subnet.prefix)
        throw new InvalidArgument(
          `invalid ip-range ${c0.IPRange}: it must be inside the subnet ${cidrString(subnet)}`,
        );
    }
    const n: NetworkRecord = {
      ...blank(name, 'bridge', id),
      bridge,
      subnet: cidrString(subnet),
      gateway,
      ipRange: c0.IPRange,
      userSubnet: !!c0.Subnet,
      userGateway: !!c0.Gateway,
      internal: !!body.Internal,
      attachable: !!body.Attachable,
      options,
      labels: { ...(body.Labels ?? {}) },
      ipamOptions: body.IPAM?.Options ?? {},
    };
    this.noteOwner([n.bridge]);
    try {
      await this.plumb(n);
    } catch (e) {
      await this.unplumb(n).catch(() => undefined);
      throw e;
    }
    this.save(n);
    this.deps.events.publish('network', 'create', n.id, { name: n.name, type: n.driver });
    return { Id: n.id, Warning: '' };
  }

  inspect(ref: string): Record<string, unknown> {
    const n = this.find(ref);
    return networkJson(n, this.members(n));
  }

  members(n: NetworkRecord): { ep: EndpointRecord; name: string }[] {
    const out: { ep: EndpointRecord; name: string }[] = [];
    for (const ep of this.epsOf(n.id).values()) {
      try {
        out.push({ ep, name: this.containers.find(ep.containerId).name.slice(1) });
      } catch {
        /* container gone; reconcile removes the endpoint */
      }
    }
    return out;
  }

  list(filters: Filters): Record<string, unknown>[] {
    for (const k of filters.keys())
      if (!['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'].includes(k))
        throw new InvalidArgument(`invalid filter '${k}'`);
    const any = (k: string, test: (v: string) => boolean): boolean => {
      const vs = filters.get(k);
      return !vs || vs.length === 0 || vs.some(test);
    };
    const out: Record<string, unknown>[] = [];
    for (const n of [...this.nets.values()].sort((a, b) => a.created.localeCompare(b.created))) {
      const builtin = PREDEFINED.includes(n.name) && (n.isDefault || n.driver !== 'bridge');
      const labelOk = (filters.get('label') ?? []).every((l) => {
        const eq = l.indexOf('=');
        return eq < 0 ? l in n.labels : n.labels[l.slice(0, eq)] === l.slice(eq + 1);
      });
      if (
        !labelOk ||
        !any('driver', (v) => v === n.driver) ||
        !any('id', (v) => n.id.startsWith(v)) ||
        !any('name', (v) => n.name.includes(v)) ||
        !any('scope', (v) => v === 'local') ||
        !any('type', (v) => (v === 'builtin' ? builtin : v === 'custom' ? !builtin : false)) ||
        !any('dangling', (v) =>
          ['true', '1'].includes(v) ? !builtin && this.epsOf(n.id).size === 0 && !this.referenced(n) : true,
        )
      )
        continue;
      out.push(networkJson(n, null));
    }
    return out;
  }

  /** A container (running or not) that names this network. */
  referenced(n: NetworkRecord): ContainerRecord | undefined {
    return this.containers
      .all()
      .find((c) => wantedNetworks(c).includes(n.name) && this.epsOf(n.id).has(c.id));
  }

  async remove(ref: string): Promise<void> {
    const n = this.find(ref);
    if (PREDEFINED.includes(n.name) && (n.isDefault || n.driver !== 'bridge'))
      throw new Forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    if (this.epsOf(n.id).size > 0)
      throw new Forbidden(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    await this.unplumb(n);
    this.store.deleteNetwork(n.id);
    this.nets.delete(n.id);
    this.eps.delete(n.id);
    this.noteOwner();
    this.deps.events.publish('network', 'destroy', n.id, { name: n.name, type: n.driver });
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    for (const k of filters.keys())
      if (!['until', 'label', 'label!'].includes(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    const until = filters.get('until')?.[0];
    const untilMs = until ? untilToMs(until) : undefined;
    const has = (n: NetworkRecord, v: string): boolean => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in n.labels : n.labels[v.slice(0, eq)] === v.slice(eq + 1);
    };
    const deleted: string[] = [];
    for (const n of [...this.nets.values()]) {
      if (PREDEFINED.includes(n.name) || n.isDefault || this.epsOf(n.id).size > 0) continue;
      if (untilMs !== undefined && Date.parse(n.created.replace(/(\.\d{3})\d+/, '$1')) >= untilMs) continue;
      if (
        !(filters.get('label') ?? []).every((v) => has(n, v)) ||
        (filters.get('label!') ?? []).some((v) => has(n, v))
      )
        continue;
      await this.remove(n.id);
      deleted.push(n.name);
    }
    this.deps.events.publish('network', 'prune', '', {});
    return { NetworksDeleted: deleted.length ? deleted : null };
  }

  /**
   * Embedded DNS: names of running containers on the user networks the asking
   * container is on (found by its source address), else on the network whose
   * gateway got the query. The first network with a match answers.
   */
  resolve(listenIp: string, name: string, clientIp = ''): string[] | null {
    const n = [...this.nets.values()].find((x) => x.gateway === listenIp && !x.isDefault);
    if (!n) return null;
    const asker = [...this.epsOf(n.id).values()].find((e) => e.ip === clientIp)?.containerId;
    const scope = asker
      ? [...this.nets.values()].filter((x) => !x.isDefault && this.epsOf(x.id).has(asker))
      : [n];
    scope.sort((a, b) => (a === n ? -1 : b === n ? 1 : 0));
    for (const net of scope) {
      const bare = name.endsWith('.' + net.name) ? name.slice(0, -net.name.length - 1) : name;
      const ips: string[] = [];
      for (const ep of this.epsOf(net.id).values())
        if (this.dnsNames(ep).some((d) => d.toLowerCase() === bare)) ips.push(ep.ip);
      if (ips.length) return ips;
    }
    return null;
  }

  /** Docker's DNSNames: the container name, its aliases, the short id. */
  dnsNames(ep: EndpointRecord): string[] {
    let name = '';
    try {
      name = this.containers.find(ep.containerId).name.slice(1);
    } catch {
      /* removed */
    }
    return [...new Set([name, ...ep.aliases, ep.containerId.slice(0, 12)].filter(Boolean))];
  }

  /** Clean shutdown with no container left on our networks: take down bridges, rules and DNS (the DB keeps them). */
  async shutdown(): Promise<void> {
    const anyLive = [...this.eps.values()].some((m) => m.size > 0);
    await this.dns.close();
    if (anyLive) return;
    for (const n of this.nets.values())
      if (n.driver === 'bridge') await this.unplumb(n).catch(() => undefined);
    if (this.iptables) await this.firewall.removeChainsIfUnused().catch(() => undefined);
    removeOwner(this.tag);
  }
}

/** Networks a container asks for, primary (NetworkMode) first. */
export function wantedNetworks(c: ContainerRecord): string[] {
  const mode = c.hostConfig.NetworkMode as string;
  const names = [mode, ...Object.keys(c.networkingConfig?.EndpointsConfig ?? {})];
  return [...new Set(names)].filter((m) => m && m !== 'host' && m !== 'none' && !m.startsWith('container:'));
}

function blank(name: string, driver: string, id: string): NetworkRecord {
  return {
    id,
    name,
    created: nowNano(),
    driver,
    bridge: '',
    subnet: '',
    gateway: '',
    userSubnet: false,
    userGateway: false,
    internal: false,
    attachable: false,
    isDefault: false,
    options: {},
    labels: {},
    ipamOptions: null,
  };
}

function predefined(name: string, driver: string): NetworkRecord {
  return blank(name, driver, randomId());
}

function randomId(): string {
  return randomBytes(32).toString('hex');
}

function untilToMs(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const m = /^(\d+)(s|m|h)$/.exec(v);
  if (m) return Date.now() - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`invalid filter 'until=${v}'`);
  return t;
}
