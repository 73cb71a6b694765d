// The kernel side of bridge networks: bridges, their iptables rules and the
// embedded DNS listeners; start-up (predefined networks, the default bridge,
// reconciling after a crash or a clean stop) and shutdown. The records
// themselves (create/inspect/list/remove/prune) are networks.ts.
import { cidrString, ipString, parseCidr, type Subnet } from '../network/cidr.js';
import { EmbeddedDns } from '../network/dns-server.js';
import { Firewall, networkRules } from '../network/iptables.js';
import {
  chooseSubnet,
  DEFAULT_ADDRESS_POOLS,
  DEFAULT_BRIDGE_POOLS,
  hostRouteSubnets,
  overlapsAny,
} from '../network/ipam.js';
import {
  claimBridge,
  deleteLink,
  ensureBridge,
  isBareBridge,
  linkExists,
  listLinks,
} from '../network/links.js';
import type { EndpointRecord, NetworkRecord } from '../network/model.js';
import {
  bridgesOfOthers,
  readOwner,
  reapOrphans,
  removeOwner,
  withSubnetLock,
  writeOwner,
} from '../network/owners.js';
import type { Logger } from '../util/log.js';
import type { DaemonConfig } from './config.js';
import { BRIDGE_NAME_OPT, blankNetwork } from './networks-record.js';

/** What the kernel side needs from the network table (NetworkCore). */
export interface NetworkTable {
  readonly nets: Map<string, NetworkRecord>;
  readonly eps: Map<string, Map<string, EndpointRecord>>;
  save(n: NetworkRecord): void;
}

export interface KernelDeps {
  config: DaemonConfig;
  log: Logger;
  dataRoot: string;
  /** Short engine id marking our rules and our note in the owners directory. */
  tag: string;
}

export class NetworkKernel {
  readonly firewall: Firewall;
  readonly dns: EmbeddedDns;

  constructor(
    private readonly table: NetworkTable,
    private readonly deps: KernelDeps,
    resolve: (listenIp: string, name: string, clientIp: string) => string[] | null,
  ) {
    this.firewall = new Firewall(deps.tag);
    this.dns = new EmbeddedDns(resolve);
  }

  get iptables(): boolean {
    return this.deps.config.iptables !== false;
  }

  private get nets(): NetworkRecord[] {
    return [...this.table.nets.values()];
  }

  /**
   * Predefined networks and the kernel side of every bridge network (start-up,
   * also after a crash). All kernel work runs under the host-wide lock, so
   * berthds starting together reap, claim and plumb one after another.
   */
  async init(): Promise<void> {
    for (const [name, driver] of [
      ['host', 'host'],
      ['none', 'null'],
    ])
      if (!this.nets.some((n) => n.name === name)) this.table.save(blankNetwork(name, driver));
    await withSubnetLock(async () => {
      const reaped = await reapOrphans(this.deps.tag, this.iptables);
      if (reaped.length)
        this.deps.log.info('removed networks of vanished engines', { tags: reaped.join(',') });
      await this.dropStaleBridges();
      await this.dropUnnotedClaims();
      this.noteOwner();
      if (this.iptables) await this.firewall.ensureChains();
      if (!this.nets.some((n) => n.isDefault)) await this.createDefaultBridge();
      await this.resolveClashes();
      this.noteOwner();
      for (const n of this.nets) if (n.driver === 'bridge') await this.plumbRetrying(n);
    });
  }

  /** Kernel tools fail now and then when many berthds start at once (nftables busy, spawn errors): retry. */
  private async plumbRetrying(n: NetworkRecord): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.plumb(n);
      } catch (e) {
        if (attempt >= 3) throw e;
        this.deps.log.warn('network plumbing failed, retrying', { network: n.name, err: String(e) });
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /**
   * Bridges our previous run noted but no network of ours uses: a network
   * created or a name claimed just before a crash. Claimed names go only while
   * bare, as a failed claim names another berthd's bridge.
   */
  private async dropStaleBridges(): Promise<void> {
    const note = readOwner(this.deps.tag);
    if (!note) return;
    const others = bridgesOfOthers(this.deps.tag);
    const stale = (b: string): boolean => !this.bridgeInUse(b) && !others.has(b) && linkExists(b);
    for (const b of note.bridges) if (stale(b)) await deleteLink(b).catch(() => undefined);
    for (const b of note.claiming ?? [])
      if (stale(b) && (await isBareBridge(b))) await deleteLink(b).catch(() => undefined);
  }

  /**
   * A bare `berthN` bridge that no berthd notes: claimed by a berthd that died
   * before noting claims existed. Every claim is made under the lock we hold
   * and noted first, so no berthd is in the middle of making this one.
   */
  private async dropUnnotedClaims(): Promise<void> {
    const noted = new Set([
      ...bridgesOfOthers(this.deps.tag, undefined, true),
      ...this.nets.map((n) => n.bridge),
    ]);
    for (const b of await listLinks())
      if (/^berth\d+$/.test(b) && !noted.has(b) && (await isBareBridge(b))) {
        this.deps.log.info('removing a bridge claimed by a vanished berthd', { bridge: b });
        await deleteLink(b).catch(() => undefined);
      }
  }

  /** Creates a bridge under a name nobody has, noting the claim before the link exists. */
  private async claim(name: string): Promise<boolean> {
    if (linkExists(name)) return false;
    this.noteOwner([], [name]);
    return claimBridge(name);
  }

  /** Records which bridges are ours (owners.ts), before they exist, so a crash never orphans one unnoticed. */
  noteOwner(extra: string[] = [], claiming: string[] = []): void {
    const bridges = [...this.nets.map((n) => n.bridge).filter(Boolean), ...extra];
    try {
      writeOwner({ tag: this.deps.tag, pid: process.pid, dataRoot: this.deps.dataRoot, bridges, claiming });
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
    const others = bridgesOfOthers(this.deps.tag);
    for (const n of this.nets) {
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
      const ours = this.nets.filter((x) => x !== n && x.subnet).map((x) => parseCidr(x.subnet));
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
        this.table.save(n);
      }
    }
  }

  private async createDefaultBridge(): Promise<void> {
    const cfg = this.deps.config;
    const wanted = typeof cfg.raw.bridge === 'string' ? (cfg.raw.bridge as string) : '';
    let bridge = wanted;
    if (!bridge)
      for (let i = 0; !bridge; i++)
        if (!this.bridgeInUse(`berth${i}`) && (await this.claim(`berth${i}`))) bridge = `berth${i}`;
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
    this.table.save({
      ...blankNetwork('bridge', 'bridge'),
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

  bridgeInUse(name: string): boolean {
    return this.nets.some((n) => n.bridge === name);
  }

  /** Routes on the host that are not our own bridges', plus our networks. */
  async takenSubnets(): Promise<Subnet[]> {
    const ours = this.nets.filter((n) => n.subnet).map((n) => parseCidr(n.subnet));
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

  async unplumb(n: NetworkRecord): Promise<void> {
    await this.dns.close(n.gateway);
    if (this.iptables) await this.firewall.remove(`net:${n.bridge}`);
    await deleteLink(n.bridge);
  }

  /** Clean shutdown with no container left on our networks: take down bridges, rules and DNS (the DB keeps them). */
  async shutdown(): Promise<void> {
    const anyLive = [...this.table.eps.values()].some((m) => m.size > 0);
    await this.dns.close();
    if (anyLive) return;
    for (const n of this.nets) if (n.driver === 'bridge') await this.unplumb(n).catch(() => undefined);
    if (this.iptables) await this.firewall.removeChainsIfUnused().catch(() => undefined);
    removeOwner(this.deps.tag);
  }
}
