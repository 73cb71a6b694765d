// What berth records about networks, the endpoints containers have on them,
// and each container's network sandbox (its namespace and published ports).

export interface NetworkRecord {
  id: string;
  name: string;
  created: string;
  /** 'bridge' for bridge networks; 'host' and 'null' for the predefined ones. */
  driver: string;
  /** The Linux bridge (bridge driver only). */
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** The user named the subnet (shown in IPAM.Config as given). */
  userSubnet: boolean;
  userGateway: boolean;
  internal: boolean;
  attachable: boolean;
  /** The default `bridge` network: no embedded DNS, /etc/hosts only. */
  isDefault: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  ipamOptions: Record<string, string> | null;
}

export interface EndpointRecord {
  networkId: string;
  containerId: string;
  endpointId: string;
  ip: string;
  mac: string;
  /** User aliases (--network-alias, compose service names). */
  aliases: string[];
  /** Addresses the user asked for (--ip). */
  ipamConfig: { IPv4Address?: string } | null;
  /** Interface name inside the container, and the host side of the veth (while running). */
  ifname: string;
  hostVeth: string;
  links: string[] | null;
  driverOpts: Record<string, string> | null;
}

export interface PortMapping {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

export interface SandboxRecord {
  containerId: string;
  /** Bind-mounted network namespace file under the exec root. */
  netns: string;
  /** Where ports were DNATed (the first network's address and bridge). */
  containerIp: string;
  bridge: string;
  ports: PortMapping[];
}
