// The JSON dockerd answers for networks (inspect, list) and for a
// container's endpoints (NetworkSettings.Networks).
import type { EndpointRecord, NetworkRecord } from '../network/model.js';

export interface ContainerBrief {
  id: string;
  name: string;
}

export function networkJson(
  n: NetworkRecord,
  members: { ep: EndpointRecord; name: string }[] | null,
): Record<string, unknown> {
  const prefix = n.subnet ? n.subnet.split('/')[1] : '';
  const containers: Record<string, unknown> = {};
  for (const m of members ?? [])
    containers[m.ep.containerId] = {
      Name: m.name,
      EndpointID: m.ep.endpointId,
      MacAddress: m.ep.mac,
      IPv4Address: `${m.ep.ip}/${prefix}`,
      IPv6Address: '',
    };
  const ipamConfig: Record<string, string>[] | null =
    n.driver === 'bridge' ? [{ Subnet: n.subnet, Gateway: n.gateway }] : null;
  if (ipamConfig && n.ipRange) ipamConfig[0] = { Subnet: n.subnet, IPRange: n.ipRange, Gateway: n.gateway };
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: n.isDefault || n.driver !== 'bridge' ? null : (n.ipamOptions ?? {}),
      Config: ipamConfig ?? [],
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}

/** One entry of NetworkSettings.Networks: the request (aliases, --ip) plus the live endpoint when running. */
export function endpointJson(
  n: NetworkRecord,
  cfg: Record<string, any>,
  ep: EndpointRecord | undefined,
  dnsNames: string[] | null,
): Record<string, unknown> {
  const prefix = n.subnet ? Number(n.subnet.split('/')[1]) : 0;
  return {
    IPAMConfig: cfg.IPAMConfig ?? null,
    Links: cfg.Links ?? null,
    Aliases: cfg.Aliases?.length ? cfg.Aliases : null,
    MacAddress: ep?.mac ?? '',
    DriverOpts: cfg.DriverOpts ?? null,
    GwPriority: cfg.GwPriority ?? 0,
    NetworkID: n.id,
    EndpointID: ep?.endpointId ?? '',
    Gateway: ep ? n.gateway : '',
    IPAddress: ep?.ip ?? '',
    IPPrefixLen: ep ? prefix : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: ep ? dnsNames : null,
  };
}
