// Containers on networks: at start a namespace file under the exec root,
// one veth per network (address, default route), published ports (DNAT);
// at exit all of it goes. connect/disconnect change a running container's
// interfaces live. reconcile() runs at berthd start-up after a crash.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Forbidden, InvalidArgument, SystemError } from '../api/errors.js';
import { ipString } from '../network/cidr.js';
import { portRules } from '../network/iptables.js';
import { addressSpace, allocateIp, macFor } from '../network/ipam.js';
import {
  addVeth,
  bridgePorts,
  createNetns,
  deleteLink,
  deleteNetns,
  netnsLinks,
  newVethName,
} from '../network/links.js';
import { addHostsEntry, hostsNames, removeHostsEntry } from '../network/hosts-entries.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../network/model.js';
import { parseIp } from '../network/cidr.js';
import {
  PortAllocatedError,
  PortAllocator,
  portRequests,
  portsJson,
  portsSummary,
} from '../network/ports.js';
import type { ContainerRunSpec } from '../runtime/types.js';
import type { ContainerRecord } from './containers-model.js';
import { wantedNetworks, type NetworkCore } from './networks.js';
import { endpointJson } from './networks-view.js';

export interface NetworkSetup {
  netns: ContainerRunSpec['netns'];
  /** Address for /etc/hosts, and nameservers for resolv.conf (the embedded DNS on user networks). */
  ip?: string;
  dns?: string[];
  /**
   * Interfaces and port rules, still being plumbed: the namespace and the
   * addresses exist when setup() returns, so the runtime can create the
   * process meanwhile; the process must not start before this settles.
   */
  ready?: Promise<void>;
}

export class Attachments {
  readonly ports = new PortAllocator();
  private readonly sandboxes = new Map<string, SandboxRecord>();

  constructor(
    private readonly core: NetworkCore,
    private readonly execRoot: string,
  ) {
    for (const s of core.store.sandboxes()) this.sandboxes.set(s.containerId, s);
  }

  netnsPath(id: string): string {
    return path.join(this.execRoot, 'netns', id);
  }

  /** Create-time checks, with Docker's messages. */
  validate(hostConfig: Record<string, any>, networking: Record<string, any> | null): void {
    const mode = String(hostConfig.NetworkMode || 'bridge');
    const eps = (networking?.EndpointsConfig ?? {}) as Record<string, any>;
    // The CLI names the default network "default"; it is stored as "bridge", like dockerd.
    if ('default' in eps) {
      eps.bridge = eps.bridge ?? eps.default;
      delete eps.default;
    }
    const special = mode === 'host' || mode === 'none' || mode.startsWith('container:');
    if (special && Object.keys(hostConfig.PortBindings ?? {}).length)
      throw new InvalidArgument('conflicting options: port publishing and the container type network mode');
    if (!special) this.core.find(mode === 'default' ? 'bridge' : mode);
    for (const [name, cfg] of Object.entries(eps)) {
      if (special && name === mode) continue;
      const n = this.core.find(name);
      if (n.isDefault && cfg?.Aliases?.length)
        throw new InvalidArgument(
          'network-scoped alias is supported only for containers in user defined networks',
        );
      if (n.isDefault && cfg?.IPAMConfig?.IPv4Address)
        throw new InvalidArgument('user specified IP address is supported on user defined networks only');
    }
  }

  private networksOf(c: ContainerRecord): NetworkRecord[] {
    return wantedNetworks(c).map((r) => this.core.find(r === 'default' ? 'bridge' : r));
  }

  private endpointConfig(c: ContainerRecord, n: NetworkRecord): Record<string, any> {
    const eps = c.networkingConfig?.EndpointsConfig ?? {};
    return eps[n.name] ?? eps[n.id] ?? Object.entries(eps).find(([k]) => n.id.startsWith(k))?.[1] ?? {};
  }

  /** Before the runtime creates the process: namespace and addresses now, interfaces and ports in `ready`. */
  async setup(c: ContainerRecord): Promise<NetworkSetup | null> {
    const mode = c.hostConfig.NetworkMode as string;
    if (mode === 'host') return { netns: 'host' };
    if (mode === 'none') return { netns: 'none' };
    if (mode.startsWith('container:')) return null;
    if (this.sandboxes.has(c.id) || existsSync(this.netnsPath(c.id))) await this.teardown(c);
    const nets = this.networksOf(c);
    const file = this.netnsPath(c.id);
    await createNetns(file);
    try {
      const gwNet = nets.find((n) => !n.internal);
      const eps = nets.map((n, i) => this.allocate(c, n, `eth${i}`));
      const primary = nets[0];
      const sb: SandboxRecord = {
        containerId: c.id,
        netns: file,
        containerIp: eps[0]?.ip ?? '',
        bridge: primary?.bridge ?? '',
        ports: [],
      };
      const reqs = portRequests(
        c.hostConfig.PortBindings,
        c.config.ExposedPorts,
        !!c.hostConfig.PublishAllPorts,
      );
      if (reqs.length && primary) {
        try {
          sb.ports = await this.ports.allocate(c.id, c.name.slice(1), reqs);
        } catch (e) {
          if (e instanceof PortAllocatedError)
            throw new SystemError(e.message.replace(`(${c.id})`, `(${eps[0].endpointId})`));
          throw e;
        }
      }
      this.sandboxes.set(c.id, sb);
      this.core.store.putSandbox(sb);
      const ready = this.plumb(c, nets, eps, file, gwNet, sb);
      ready.catch(() => undefined); // the start path awaits it
      const user = primary && !primary.isDefault;
      return {
        netns: { path: file },
        ip: eps[0]?.ip,
        dns: user && !(c.hostConfig.Dns ?? []).length ? [primary.gateway] : undefined,
        ready,
      };
    } catch (e) {
      await this.teardown(c);
      throw e;
    }
  }

  /** veths (each waits on `ip`), then port rules; iptables only for a container that publishes ports. */
  private async plumb(
    c: ContainerRecord,
    nets: NetworkRecord[],
    eps: EndpointRecord[],
    netns: string,
    gwNet: NetworkRecord | undefined,
    sb: SandboxRecord,
  ): Promise<void> {
    for (const [i, n] of nets.entries()) await this.plumbEndpoint(c, n, eps[i], netns, n === gwNet);
    if (sb.ports.length && this.core.iptables)
      await this.core.firewall.add(
        `ctr:${c.id.slice(0, 12)}`,
        sb.ports.flatMap((p) => portRules({ ...p, bridge: sb.bridge, containerIp: sb.containerIp })),
      );
    if (nets.some((n) => !n.internal)) enableForwarding();
  }

  private async join(
    c: ContainerRecord,
    n: NetworkRecord,
    netns: string,
    ifname: string,
    withGateway: boolean,
  ): Promise<EndpointRecord> {
    const ep = this.allocate(c, n, ifname);
    await this.plumbEndpoint(c, n, ep, netns, withGateway);
    return ep;
  }

  /** An address on `n` and the endpoint record (no kernel work). */
  private allocate(c: ContainerRecord, n: NetworkRecord, ifname: string): EndpointRecord {
    const cfg = this.endpointConfig(c, n);
    const requested = cfg.IPAMConfig?.IPv4Address as string | undefined;
    const members = this.core.epsOf(n.id);
    const used = new Set([...members.values()].map((e) => parseIp(e.ip)));
    const ip = allocateIp(addressSpace(n.subnet, n.gateway, n.ipRange), used, requested || undefined);
    const ep: EndpointRecord = {
      networkId: n.id,
      containerId: c.id,
      endpointId: randomBytes(32).toString('hex'),
      ip: ipString(ip),
      mac: cfg.MacAddress || macFor(ip),
      aliases: n.isDefault ? [] : [...new Set<string>((cfg.Aliases ?? []) as string[])],
      ipamConfig: cfg.IPAMConfig ?? null,
      ifname,
      hostVeth: newVethName(),
      links: cfg.Links ?? null,
      driverOpts: cfg.DriverOpts ?? null,
    };
    members.set(c.id, ep);
    this.core.store.putEndpoint(ep);
    return ep;
  }

  /** The veth pair of an allocated endpoint, then the connect event. */
  private async plumbEndpoint(
    c: ContainerRecord,
    n: NetworkRecord,
    ep: EndpointRecord,
    netns: string,
    withGateway: boolean,
  ): Promise<void> {
    try {
      await addVeth({
        hostVeth: ep.hostVeth,
        bridge: n.bridge,
        netns,
        ifname: ep.ifname,
        cidr: `${ep.ip}/${n.subnet.split('/')[1]}`,
        mac: ep.mac,
        gateway: withGateway ? n.gateway : undefined,
      });
    } catch (e) {
      await this.leave(c.id, n);
      throw e;
    }
    this.core.deps.events.publish('network', 'connect', n.id, {
      container: c.id,
      name: n.name,
      type: n.driver,
    });
  }

  /** `keepVeth`: the namespace is going away and takes the veth pair with it (one spawn less per stop). */
  private async leave(containerId: string, n: NetworkRecord, event = false, keepVeth = false): Promise<void> {
    const ep = this.core.epsOf(n.id).get(containerId);
    if (!ep) return;
    if (!keepVeth) await deleteLink(ep.hostVeth).catch(() => undefined);
    this.core.epsOf(n.id).delete(containerId);
    this.core.store.deleteEndpoint(n.id, containerId);
    if (event)
      this.core.deps.events.publish('network', 'disconnect', n.id, {
        container: containerId,
        name: n.name,
        type: n.driver,
      });
  }

  /** After the process exited (or a failed start): endpoints, ports, rules, namespace. */
  async teardown(c: ContainerRecord | string): Promise<void> {
    const id = typeof c === 'string' ? c : c.id;
    const sb = this.sandboxes.get(id);
    const nsFile = this.netnsPath(id);
    const hasNs = existsSync(nsFile);
    for (const n of this.core.nets.values()) await this.leave(id, n, this.core.epsOf(n.id).has(id), hasNs);
    if (this.core.iptables && sb?.ports.length)
      await this.core.firewall
        .removeKnown(
          `ctr:${id.slice(0, 12)}`,
          sb.ports.flatMap((p) => portRules({ ...p, bridge: sb.bridge, containerIp: sb.containerIp })),
        )
        .catch(() => undefined);
    this.ports.release(id);
    if (hasNs) await deleteNetns(nsFile).catch(() => undefined);
    if (this.sandboxes.delete(id)) this.core.store.deleteSandbox(id);
  }

  async connect(netRef: string, containerRef: string, cfg: Record<string, any>): Promise<void> {
    const n = this.core.find(netRef);
    const c = this.core.containers.find(containerRef);
    const mode = c.hostConfig.NetworkMode as string;
    if (n.driver !== 'bridge' || mode === 'host')
      throw new Forbidden('container cannot be disconnected from host network or connected to host network');
    // Left with no network by a disconnect (not created with --network none): Docker's
    // NetworkMode never changed, so connecting again is allowed (docker-compose v1 does it).
    const rejoin = mode === 'none' && Boolean(c.networkingConfig?.LeftWithoutNetwork);
    if ((mode === 'none' && !rejoin) || mode.startsWith('container:'))
      throw new Forbidden(
        'container sharing network namespace with another container or host cannot be connected to any other network',
      );
    const has = wantedNetworks(c).some((r) => r === n.name || r === n.id);
    if (has) throw new Forbidden(`endpoint with name ${c.name.slice(1)} already exists in network ${n.name}`);
    if (rejoin) {
      delete c.networkingConfig!.LeftWithoutNetwork;
      c.hostConfig.NetworkMode = n.name;
    }
    if (n.isDefault && cfg?.Aliases?.length)
      throw new InvalidArgument(
        'network-scoped alias is supported only for containers in user defined networks',
      );
    if (n.isDefault && cfg?.IPAMConfig?.IPv4Address)
      throw new InvalidArgument('user specified IP address is supported on user defined networks only');
    c.networkingConfig = c.networkingConfig ?? {};
    c.networkingConfig.EndpointsConfig = {
      ...(c.networkingConfig.EndpointsConfig ?? {}),
      [n.name]: cfg ?? {},
    };
    const sb = this.sandboxes.get(c.id);
    if (c.state.Running && sb) {
      const used = new Set(await netnsLinks(sb.netns));
      let i = 0;
      while (used.has(`eth${i}`)) i++;
      const anyGateway = [...this.core.nets.values()].some(
        (x) => !x.internal && this.core.epsOf(x.id).has(c.id),
      );
      let ep: EndpointRecord;
      try {
        ep = await this.join(c, n, sb.netns, `eth${i}`, !anyGateway && !n.internal);
      } catch (e) {
        delete c.networkingConfig.EndpointsConfig[n.name];
        throw e;
      }
      if (!n.internal) enableForwarding();
      // The new address with the container's hostname, as libnetwork adds it.
      const hosts = this.core.containers.hostsFile?.(c.id);
      if (hosts) addHostsEntry(hosts, ep.ip, hostsNames(c.config.Hostname, c.config.Domainname));
    }
    this.core.containers.save(c);
  }

  async disconnect(netRef: string, containerRef: string, force: boolean): Promise<void> {
    const n = this.core.find(netRef);
    let c: ContainerRecord;
    try {
      c = this.core.containers.find(containerRef);
    } catch (e) {
      // --force drops the endpoint of a container that no longer exists.
      const stale = [...this.core.epsOf(n.id).keys()].find((id) => id.startsWith(containerRef));
      if (force && stale) return this.leave(stale, n, true);
      throw e;
    }
    const mode = c.hostConfig.NetworkMode as string;
    if (n.driver !== 'bridge' || mode === 'host')
      throw new Forbidden('container cannot be disconnected from host network or connected to host network');
    const eps = c.networkingConfig?.EndpointsConfig ?? {};
    const key = Object.keys(eps).find((k) => k === n.name || k === n.id);
    if (!key && mode !== n.name && !this.core.epsOf(n.id).has(c.id))
      throw new Forbidden(`container ${c.id} is not connected to network ${n.name}`);
    const leftIp = this.core.epsOf(n.id).get(c.id)?.ip;
    await this.leave(c.id, n, true);
    const hosts = this.core.containers.hostsFile?.(c.id);
    if (hosts && leftIp) removeHostsEntry(hosts, leftIp);
    if (key) delete eps[key];
    // Disconnecting the primary network: Docker leaves the container with no network.
    if (mode === n.name || mode === n.id) {
      c.hostConfig.NetworkMode = Object.keys(eps)[0] ?? 'none';
      if (c.hostConfig.NetworkMode === 'none') (c.networkingConfig ??= {}).LeftWithoutNetwork = true;
    }
    this.core.containers.save(c);
  }

  /** NetworkSettings for inspect. */
  settings(c: ContainerRecord): Record<string, unknown> {
    const sb = c.state.Running ? this.sandboxes.get(c.id) : undefined;
    const networks: Record<string, unknown> = {};
    const mode = c.hostConfig.NetworkMode as string;
    let bridgeEp: { ep: EndpointRecord; n: NetworkRecord } | undefined;
    if (mode === 'host' || mode === 'none') {
      const n = [...this.core.nets.values()].find((x) => x.name === mode);
      if (n) networks[mode] = endpointJson(n, {}, undefined, null);
    } else if (!mode.startsWith('container:')) {
      for (const ref of wantedNetworks(c)) {
        let n: NetworkRecord;
        try {
          n = this.core.find(ref === 'default' ? 'bridge' : ref);
        } catch {
          continue;
        }
        const ep = c.state.Running ? this.core.epsOf(n.id).get(c.id) : undefined;
        if (ep && n.isDefault) bridgeEp = { ep, n };
        networks[n.name] = endpointJson(
          n,
          this.endpointConfig(c, n),
          ep,
          ep && !n.isDefault ? this.core.dnsNames(ep) : null,
        );
      }
    }
    const prefix = bridgeEp ? Number(bridgeEp.n.subnet.split('/')[1]) : 0;
    return {
      Bridge: '',
      SandboxID: sb ? c.id : '',
      SandboxKey: sb ? sb.netns : '',
      Ports: c.state.Running
        ? portsJson(c.config.ExposedPorts, c.hostConfig.PortBindings, sb?.ports ?? null)
        : {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: bridgeEp?.ep.endpointId ?? '',
      Gateway: bridgeEp?.n.gateway ?? '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: bridgeEp?.ep.ip ?? '',
      IPPrefixLen: prefix,
      IPv6Gateway: '',
      MacAddress: bridgeEp?.ep.mac ?? '',
      Networks: networks,
    };
  }

  /** Ports and Networks of `GET /containers/json`. */
  summary(c: ContainerRecord): { Ports: Record<string, unknown>[]; Networks: Record<string, unknown> } {
    const s = this.settings(c);
    const sb = c.state.Running ? this.sandboxes.get(c.id) : undefined;
    return {
      Ports: portsSummary(c.config.ExposedPorts, sb?.ports ?? null),
      Networks: s.Networks as Record<string, unknown>,
    };
  }

  /**
   * Start-up after a crash: sandboxes of containers still marked running keep
   * their ports and rules; everything else (endpoints, rules, veths, namespace
   * files) of containers that are gone is removed.
   */
  async reconcile(): Promise<void> {
    const keep = new Set<string>();
    for (const sb of [...this.sandboxes.values()]) {
      let running = false;
      try {
        running = this.core.containers.find(sb.containerId).state.Running && existsSync(sb.netns);
      } catch {
        running = false;
      }
      if (!running) {
        await this.teardown(sb.containerId);
        continue;
      }
      keep.add(sb.containerId);
      this.ports.holdExisting(sb.containerId, sb.ports);
    }
    for (const [netId, m] of this.core.eps)
      for (const id of [...m.keys()])
        if (!keep.has(id)) {
          const n = this.core.nets.get(netId);
          if (n) await this.leave(id, n);
        }
    if (this.core.iptables) {
      const keys = await this.core.firewall.keys();
      const wanted = new Set([
        ...[...keep].map((id) => `ctr:${id.slice(0, 12)}`),
        ...[...this.core.nets.values()].filter((n) => n.driver === 'bridge').map((n) => `net:${n.bridge}`),
      ]);
      for (const k of keys) if (!wanted.has(k)) await this.core.firewall.remove(k);
      for (const id of keep) {
        const sb = this.sandboxes.get(id)!;
        if (sb.ports.length && !keys.has(`ctr:${id.slice(0, 12)}`))
          await this.core.firewall.add(
            `ctr:${id.slice(0, 12)}`,
            sb.ports.flatMap((p) => portRules({ ...p, bridge: sb.bridge, containerIp: sb.containerIp })),
          );
      }
    }
    // Namespace files with no sandbox record (a crash between making the namespace and recording it).
    const nsDir = path.dirname(this.netnsPath('x'));
    for (const f of existsSync(nsDir) ? readdirSync(nsDir) : [])
      if (!keep.has(f)) await deleteNetns(path.join(nsDir, f)).catch(() => undefined);
    // Host ends of veths whose endpoint is gone.
    const liveVeths = new Set(
      [...this.core.eps.values()].flatMap((m) => [...m.values()].map((e) => e.hostVeth)),
    );
    for (const n of this.core.nets.values())
      if (n.bridge)
        for (const v of await bridgePorts(n.bridge))
          if (!liveVeths.has(v)) await deleteLink(v).catch(() => undefined);
  }
}

/** Containers on non-internal networks route through the host (outbound NAT); Docker enables this too. */
function enableForwarding(): void {
  const f = '/proc/sys/net/ipv4/ip_forward';
  try {
    if (readFileSync(f, 'utf8').trim() !== '1') writeFileSync(f, '1');
  } catch {
    /* read-only /proc/sys: outbound traffic will not be forwarded */
  }
}
