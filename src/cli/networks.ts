// Network commands: network create, ls, inspect, rm, prune, connect,
// disconnect — docker's flags, table and texts.
import type { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from './context.js';
import {
  deletedList,
  inspectSpec,
  LabeledRow,
  keyValues,
  listFormat,
  lsPaths,
  removeEach,
  rmPaths,
} from './object-commands.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';
import { formatList } from './format/table.js';
import { confirm } from './images-prompt.js';
import { filtersJson } from './system.js';

interface NetworkJson {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
}

/** docker's network row context: the template fields of `network ls --format`. */
class NetworkRow extends LabeledRow {
  constructor(
    private readonly n: NetworkJson,
    private readonly trunc: boolean,
  ) {
    super(n.Labels);
  }
  get ID(): string {
    return this.trunc ? this.n.Id.slice(0, 12) : this.n.Id;
  }
  get Name(): string {
    return this.n.Name;
  }
  get Driver(): string {
    return this.n.Driver;
  }
  get Scope(): string {
    return this.n.Scope;
  }
  get IPv6(): string {
    return String(this.n.EnableIPv6);
  }
  get Internal(): string {
    return String(this.n.Internal);
  }
  /** Go's time.String() of the creation time, as docker prints it. */
  get CreatedAt(): string {
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)Z$/.exec(this.n.Created);
    return m ? `${m[1]} ${m[2]} +0000 UTC` : this.n.Created;
  }
  get IPv4(): string {
    return 'true';
  }
  toGoJSON(): string {
    return JSON.stringify({
      CreatedAt: this.CreatedAt,
      Driver: this.Driver,
      ID: this.ID,
      IPv4: this.IPv4,
      IPv6: this.IPv6,
      Internal: this.Internal,
      Labels: this.Labels,
      Name: this.Name,
      Scope: this.Scope,
    });
  }
}

const HEADERS = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

async function create(
  ctx: CliContext,
  name: string,
  f: { string(k: string): string; list(k: string): string[]; bool(k: string): boolean },
): Promise<void> {
  const subnets = f.list('subnet');
  const gateways = f.list('gateway');
  const ranges = f.list('ip-range');
  if (gateways.length > subnets.length || ranges.length > subnets.length)
    throw new CliError(
      'Error response from daemon: invalid pool request: gateway or ip-range given without a subnet',
      1,
    );
  const Config = subnets.map((Subnet, i) => ({
    Subnet,
    ...(ranges[i] ? { IPRange: ranges[i] } : {}),
    ...(gateways[i] ? { Gateway: gateways[i] } : {}),
  }));
  const res = await ctx.client.post<{ Id: string }>('/networks/create', {
    Name: name,
    Driver: f.string('driver') || 'bridge',
    Internal: f.bool('internal'),
    Attachable: f.bool('attachable'),
    EnableIPv6: f.bool('ipv6') || undefined,
    IPAM: { Driver: 'default', Config, Options: keyValues(f.list('ipam-opt'), 'ipam-opt') },
    Options: keyValues(f.list('opt'), 'opt'),
    Labels: keyValues(f.list('label'), 'label'),
  });
  ctx.print(res.Id);
}

async function list(
  ctx: CliContext,
  o: { quiet: boolean; format: string; filters: string[]; noTrunc: boolean },
): Promise<void> {
  const nets = await ctx.client.get<NetworkJson[]>('/networks', { filters: filtersJson(o.filters) });
  nets.sort((a, b) => a.Name.localeCompare(b.Name));
  const format = listFormat(o, 'ID', 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}');
  ctx.out.write(
    formatList(
      nets.map((n) => new NetworkRow(n, !o.noTrunc)),
      { format, headers: HEADERS },
    ),
  );
}

function remove(ctx: CliContext, names: string[], force: boolean): Promise<void> {
  return removeEach(ctx, names, (n) => ctx.client.delete(`/networks/${encodeURIComponent(n)}`), {
    skip: (e) => force && e instanceof ApiError && e.status === 404,
    // docker network rm ends its error list with the exit status line.
    trailer: '\nexit status 1',
  });
}

async function prune(ctx: CliContext, o: { force: boolean; filters: string[] }): Promise<void> {
  if (
    !o.force &&
    !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))
  )
    return;
  const r = await ctx.client.post<{ NetworksDeleted: string[] | null }>('/networks/prune', undefined, {
    filters: filtersJson(o.filters),
  });
  ctx.out.write(deletedList('Deleted Networks', r.NetworksDeleted));
}

const specs: Spec[] = [
  {
    paths: [['network', 'create']],
    usage: '[OPTIONS] NETWORK',
    description: 'Create a network',
    flags: [
      flag.bool('attachable', undefined, 'Enable manual container attachment'),
      flag.string('driver', 'd', 'Driver to manage the Network', 'string', 'bridge'),
      flag.list('gateway', undefined, 'IPv4 or IPv6 Gateway for the master subnet', 'strings'),
      flag.bool('internal', undefined, 'Restrict external access to the network'),
      flag.list('ip-range', undefined, 'Allocate container ip from a sub-range', 'strings'),
      { ...flag.list('ipam-opt', undefined, 'Set IPAM driver specific options'), valueName: 'map' },
      flag.bool('ipv6', undefined, 'Enable or disable IPv6 networking'),
      flag.list('label', undefined, 'Set metadata on a network'),
      { ...flag.list('opt', 'o', 'Set driver specific options'), valueName: 'map' },
      flag.list('subnet', undefined, 'Subnet in CIDR format that represents a network segment', 'strings'),
    ],
    args: { min: 1, max: 1 },
    run: (f, ctx) => create(ctx, f.args[0], f),
  },
  {
    paths: lsPaths('network'),
    usage: '[OPTIONS]',
    description: 'List networks',
    flags: [
      { ...flag.filter('f'), usage: "Provide filter values (e.g. 'driver=bridge')" },
      flag.string('format', undefined, 'Format output using a custom template'),
      flag.bool('no-trunc', undefined, 'Do not truncate the output'),
      flag.bool('quiet', 'q', 'Only display network IDs'),
    ],
    args: { max: 0 },
    run: (f, ctx) =>
      list(ctx, {
        quiet: f.bool('quiet'),
        format: f.string('format'),
        filters: f.list('filter'),
        noTrunc: f.bool('no-trunc'),
      }),
  },
  inspectSpec('network', 'Display detailed information on one or more networks', '/networks', [
    flag.bool('verbose', 'v', 'Verbose output for diagnostics'),
  ]),
  {
    paths: rmPaths('network'),
    usage: 'NETWORK [NETWORK...]',
    description: 'Remove one or more networks',
    flags: [flag.bool('force', 'f', 'Do not error if the network does not exist')],
    args: { min: 1 },
    run: (f, ctx) => remove(ctx, f.args, f.bool('force')),
  },
  {
    paths: [['network', 'prune']],
    usage: '[OPTIONS]',
    description: 'Remove all unused networks',
    flags: [
      { ...flag.filter(undefined), usage: 'Provide filter values (e.g. "until=<timestamp>")' },
      flag.bool('force', 'f', 'Do not prompt for confirmation'),
    ],
    args: { max: 0 },
    run: (f, ctx) => prune(ctx, { force: f.bool('force'), filters: f.list('filter') }),
  },
  {
    paths: [['network', 'connect']],
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Connect a container to a network',
    flags: [
      flag.list('alias', undefined, 'Add network-scoped alias for the container', 'strings'),
      flag.list('driver-opt', undefined, 'driver options for the network', 'strings'),
      flag.string('ip', undefined, 'IPv4 address (e.g., "172.30.100.104")'),
      flag.list('link', undefined, 'Add link to another container'),
    ],
    args: { min: 2, max: 2 },
    run: async (f, ctx) => {
      const ip = f.string('ip');
      await ctx.client.post(`/networks/${encodeURIComponent(f.args[0])}/connect`, {
        Container: f.args[1],
        EndpointConfig: {
          Aliases: f.list('alias').length ? f.list('alias') : undefined,
          IPAMConfig: ip ? { IPv4Address: ip } : undefined,
          Links: f.list('link').length ? f.list('link') : undefined,
          DriverOpts: f.list('driver-opt').length ? keyValues(f.list('driver-opt'), 'driver-opt') : undefined,
        },
      });
    },
  },
  {
    paths: [['network', 'disconnect']],
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Disconnect a container from a network',
    flags: [flag.bool('force', 'f', 'Force the container to disconnect from a network')],
    args: { min: 2, max: 2 },
    run: async (f, ctx) => {
      await ctx.client.post(`/networks/${encodeURIComponent(f.args[0])}/disconnect`, {
        Container: f.args[1],
        Force: f.bool('force'),
      });
    },
  },
];

export function registerNetworkCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, specs);
}
