// The network service: the predefined networks (bridge, host, none) and
// user-defined bridge networks as records (create, inspect, list, remove,
// prune) plus the embedded DNS's name lookup. Their kernel side (bridges,
// rules, DNS listeners, start-up and shutdown) is networks-kernel.ts;
// containers joining and leaving networks is networks-attach.ts.
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../api/errors.js';
import type { Filters } from '../api/query.js';
import { cidrString, contains, ipString, parseCidr, parseIp, type Subnet } from '../network/cidr.js';
import type { EmbeddedDns } from '../network/dns-server.js';
import type { Firewall } from '../network/iptables.js';
import { checkNoOverlap, chooseSubnet, DEFAULT_ADDRESS_POOLS, type Pool } from '../network/ipam.js';
import { linkExists } from '../network/links.js';
import type { EndpointRecord, NetworkRecord } from '../network/model.js';
import { NetworkStore } from '../network/store.js';
import { withSubnetLock } from '../network/owners.js';
import type { DB } from '../store/db.js';
import type { Logger } from '../util/log.js';
import type { DaemonConfig } from './config.js';
import type { ContainerRecord } from './containers-model.js';
import type { EventBus } from './events.js';
import { networkJson } from './networks-view.js';
import { NetworkKernel } from './networks-kernel.js';
import { BRIDGE_NAME_OPT, PREDEFINED, blankNetwork, randomId } from './networks-record.js';

export interface ContainerAccess {
  find(ref: string): ContainerRecord;
  all(): ContainerRecord[];
  save(c: ContainerRecord): void;
  /** The container's own /etc/hosts on the host (connect/disconnect edit it). */
  hostsFile?(id: string): string;
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

export class NetworkCore {
  readonly store: NetworkStore;
  readonly kernel: NetworkKernel;
  /** Short engine id marking our rules and our note in the owners directory. */
  readonly tag: string;
  containers!: ContainerAccess;
  /** Networks by id, and endpoints by network id then container id (the DB, in memory). */
  readonly nets = new Map<string, NetworkRecord>();
  readonly eps = new Map<string, Map<string, EndpointRecord>>();

  constructor(readonly deps: NetworkDeps) {
    this.store = new NetworkStore(deps.db);
    this.tag = deps.engineId.replace(/-/g, '').slice(0, 8);
    this.kernel = new NetworkKernel(
      this,
      { config: deps.config, log: deps.log, dataRoot: deps.dataRoot, tag: this.tag },
      (ip, name, client) => this.resolve(ip, name, client),
    );
    for (const n of this.store.networks()) this.nets.set(n.id, n);
    for (const e of this.store.endpoints()) this.epsOf(e.networkId).set(e.containerId, e);
  }

  get iptables(): boolean {
    return this.kernel.iptables;
  }

  get firewall(): Firewall {
    return this.kernel.firewall;
  }

  get dns(): EmbeddedDns {
    return this.kernel.dns;
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

  /** Start-up: predefined networks, the default bridge, and every bridge's kernel side. */
  init(): Promise<void> {
    return this.kernel.init();
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
    if (this.kernel.bridgeInUse(bridge) || linkExists(bridge))
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
      subnet = chooseSubnet(pools, await this.kernel.takenSubnets());
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
      ...blankNetwork(name, 'bridge', id),
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
    this.kernel.noteOwner([n.bridge]);
    try {
      await this.kernel.plumb(n);
    } catch (e) {
      await this.kernel.unplumb(n).catch(() => undefined);
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
    await this.kernel.unplumb(n);
    this.store.deleteNetwork(n.id);
    this.nets.delete(n.id);
    this.eps.delete(n.id);
    this.kernel.noteOwner();
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
      const linked = asker ? this.linkedIp(asker, net, bare) : undefined;
      if (linked) return [linked];
      const ips: string[] = [];
      for (const ep of this.epsOf(net.id).values())
        if (this.dnsNames(ep).some((d) => d.toLowerCase() === bare)) ips.push(ep.ip);
      if (ips.length) return ips;
    }
    return null;
  }

  /**
   * `--link target:alias` on a user network is a name only the linking
   * container resolves (no /etc/hosts line, unlike the default bridge).
   */
  private linkedIp(asker: string, net: NetworkRecord, name: string): string | undefined {
    const ep = this.epsOf(net.id).get(asker);
    let links = ep?.links ?? [];
    if (!links.length) {
      try {
        const c = this.containers.find(asker);
        if (c.hostConfig.NetworkMode === net.name) links = (c.hostConfig.Links as string[] | null) ?? [];
      } catch {
        return undefined;
      }
    }
    for (const link of links) {
      const [target, alias = target] = link.split(':').map((p) => p.split('/').pop() ?? '');
      if (alias.toLowerCase() !== name) continue;
      try {
        const ip = this.epsOf(net.id).get(this.containers.find(target).id)?.ip;
        if (ip) return ip;
      } catch {
        /* the linked container is gone */
      }
    }
    return undefined;
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

  shutdown(): Promise<void> {
    return this.kernel.shutdown();
  }
}

/** Networks a container asks for, primary (NetworkMode) first. */
export function wantedNetworks(c: ContainerRecord): string[] {
  const mode = c.hostConfig.NetworkMode as string;
  const names = [mode, ...Object.keys(c.networkingConfig?.EndpointsConfig ?? {})];
  return [...new Set(names)].filter((m) => m && m !== 'host' && m !== 'none' && !m.startsWith('container:'));
}

function untilToMs(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const m = /^(\d+)(s|m|h)$/.exec(v);
  if (m) return Date.now() - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`invalid filter 'until=${v}'`);
  return t;
}
