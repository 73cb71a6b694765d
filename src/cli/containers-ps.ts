// `ps` / `container ls`: the row context of docker's container formatter
// (ID, Image, Command, RunningFor, Status, Ports, Names, Size, …) and the
// default table, so `--format` templates see the same fields.
import type { CliContext } from './context.js';
import type { ParsedFlags } from './containers-flags.js';
import type { CommandSpec } from './containers-command.js';
import { filtersQuery } from './containers-lifecycle.js';
import { formatList, marshalJson } from './format/table.js';
import { humanDuration, humanSize, truncateId } from './format/units.js';
import { parseInt64 } from './containers-units.js';

export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** formatter.Ellipsis: cut to `max` characters, the last one an ellipsis. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return chars.slice(0, max - 1).join('') + '…';
}

/** strconv.Quote, enough for commands: JSON escapes with Go's \x form for control bytes. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** formatter.DisplayablePorts: ranges merged, host mappings listed last. */
export function displayablePorts(ports: ApiPort[]): string {
  const sorted = [...ports].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
    if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const order: string[] = [];
  const result: string[] = [];
  const hostMappings: string[] = [];
  const form = (key: string, first: number, last: number): string => {
    const slash = key.lastIndexOf('/');
    const ip = slash >= 0 ? key.slice(0, slash) : '';
    const type = slash >= 0 ? key.slice(slash + 1) : key;
    let g = first === last ? String(first) : `${first}-${last}`;
    if (ip) g = `${joinHostPort(ip, g)}->${g}`;
    return `${g}/${type}`;
  };
  for (const p of sorted) {
    const cur = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== cur) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${cur}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: cur, last: cur });
      order.push(key);
      continue;
    }
    if (cur === g.last + 1) {
      g.last = cur;
      continue;
    }
    result.push(form(key, g.first, g.last));
    groups.set(key, { first: cur, last: cur });
  }
  for (const key of order) {
    const g = groups.get(key)!;
    result.push(form(key, g.first, g.last));
  }
  return [...result, ...hostMappings].join(', ');
}

/** time.Time.String() for a unix time, in local time: "2026-01-02 15:04:05 +0000 UTC". */
function goTimeString(unix: number): string {
  const d = new Date(unix * 1000);
  const off = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + off * 60_000);
  const p = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const zone = `${off >= 0 ? '+' : '-'}${p(Math.trunc(off / 60))}${p(off % 60)}`;
  const name = off === 0 ? 'UTC' : zone.slice(0, 3);
  return `${local.toISOString().slice(0, 10)} ${local.toISOString().slice(11, 19)} ${zone} ${name}`;
}

/** One row of `docker ps`: the fields of docker's ContainerContext. */
export class ContainerContext {
  constructor(
    private readonly c: any,
    private readonly trunc: boolean,
    private readonly now = Date.now(),
  ) {}
  get ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }
  get Names(): string {
    let names: string[] = (this.c.Names ?? []).map((n: string) => n.replace(/^\//, ''));
    if (this.trunc) {
      const plain = names.find((n) => !n.includes('/'));
      if (plain) names = [plain];
    }
    return names.join(',');
  }
  get Image(): string {
    let image: string = this.c.Image || '<no image>';
    if (this.trunc) {
      if (image.startsWith('sha256:') || truncateId(this.c.ImageID ?? '') === truncateId(image)) image = truncateId(image);
      const at = image.indexOf('@');
      if (at > 0 && image.includes(':', image.lastIndexOf('/') + 1) && image.indexOf(':', image.lastIndexOf('/') + 1) < at)
        image = image.slice(0, at); // name:tag@digest shows as name:tag
    }
    return image;
  }
  get Command(): string {
    const cmd: string = this.c.Command ?? '';
    return goQuote(this.trunc ? ellipsis(cmd, 20) : cmd);
  }
  get CreatedAt(): string {
    return goTimeString(this.c.Created);
  }
  get RunningFor(): string {
    return humanDuration(this.now - this.c.Created * 1000) + ' ago';
  }
  get Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }
  get State(): string {
    return this.c.State ?? '';
  }
  get Status(): string {
    return this.c.Status ?? '';
  }
  get Size(): string {
    const rw = humanSize(this.c.SizeRw ?? 0);
    return (this.c.SizeRootFs ?? 0) > 0 ? `${rw} (virtual ${humanSize(this.c.SizeRootFs)})` : rw;
  }
  get Labels(): string {
    return Object.entries((this.c.Labels ?? {}) as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  Label(name: string): string {
    return this.c.Labels?.[name] ?? '';
  }
  get Mounts(): string {
    return (this.c.Mounts ?? [])
      .map((m: any) => (m.Name ? (this.trunc ? ellipsis(m.Name, 15) : m.Name) : m.Source))
      .join(',');
  }
  get LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m: any) => m.Driver === 'local').length);
  }
  get Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {}).sort().join(',');
  }
  get Platform(): unknown {
    return this.c.ImageManifestDescriptor?.platform;
  }
  toGoJSON(): string {
    const o: Record<string, unknown> = {};
    for (const k of ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status'])
      o[k] = (this as any)[k] ?? null;
    return marshalJson(o);
  }
}

const PS_HEADERS = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Label: 'LABEL',
  Platform: 'PLATFORM',
};

const DEFAULT_PS = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

async function ps(f: ParsedFlags, ctx: CliContext): Promise<number> {
  let limit = f.has('last') ? parseInt64(f.string('last')) : -1;
  if (f.bool('latest') && limit === -1) limit = 1;
  let format = f.string('format');
  if (f.bool('quiet') && !format) format = '{{.ID}}';
  if (!format) format = f.bool('size') ? DEFAULT_PS + '\t{{.Size}}' : DEFAULT_PS;
  const wantsSize = f.bool('size') || /\.Size\b/.test(format);
  const list = await ctx.client.get<any[]>('/containers/json', {
    all: f.bool('all') || undefined,
    limit: limit > 0 ? limit : undefined,
    size: wantsSize || undefined,
    filters: filtersQuery(f.list('filter')),
  });
  const now = Date.now();
  const rows = list.map((c) => new ContainerContext(c, !f.bool('no-trunc'), now));
  ctx.out.write(formatList(rows, { format, headers: PS_HEADERS }));
  return 0;
}

export const PS_SPEC: CommandSpec = {
  name: 'ls',
  containerNames: ['ls', 'ps', 'list'],
  topLevel: ['ps'],
  usage: '[OPTIONS]',
  description: 'List containers',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    { long: 'filter', short: 'f', kind: 'list', usage: 'Filter output based on conditions provided', valueName: 'filter' },
    { long: 'format', kind: 'string', usage: 'Format output using a custom template' },
    { long: 'last', short: 'n', kind: 'string', usage: 'Show n last created containers (includes all states)', valueName: 'int', defaultValue: '-1', check: (v) => void parseInt64(v) },
    { long: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
    { long: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { long: 'quiet', short: 'q', kind: 'bool', usage: 'Only display container IDs' },
    { long: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
  ],
  maxArgs: 0,
  run: ps,
};
