// Volume commands: volume create, ls, inspect, rm, prune — docker's flags,
// table and texts.
import type { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from './context.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';
import { formatList } from './format/table.js';
import { humanSize } from './format/units.js';
import { confirm } from './images-prompt.js';
import { inspectObjects } from './images-inspect.js';
import { filtersJson } from './system.js';

interface VolumeJson {
  Name: string;
  Driver: string;
  Scope: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Options?: Record<string, string> | null;
}

/** docker's volume row context: the template fields of `volume ls --format`. */
class VolumeRow {
  constructor(private readonly v: VolumeJson) {}
  get Name(): string {
    return this.v.Name;
  }
  get Driver(): string {
    return this.v.Driver;
  }
  get Scope(): string {
    return this.v.Scope;
  }
  get Mountpoint(): string {
    return this.v.Mountpoint;
  }
  get CreatedAt(): string {
    return this.v.CreatedAt;
  }
  get Links(): string {
    return 'N/A';
  }
  get Size(): string {
    return 'N/A';
  }
  get Labels(): string {
    return Object.entries(this.v.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  Label(name: string): string {
    return this.v.Labels?.[name] ?? '';
  }
  toGoJSON(): string {
    const o = {
      Availability: 'N/A',
      Driver: this.Driver,
      Group: 'N/A',
      Labels: this.Labels,
      Links: this.Links,
      Mountpoint: this.Mountpoint,
      Name: this.Name,
      Scope: this.Scope,
      Size: this.Size,
      Status: 'N/A',
    };
    return JSON.stringify(o);
  }
}

const HEADERS = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  CreatedAt: 'CREATED',
};

function kv(list: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq === 0) throw new CliError(`invalid argument "${item}" for "--${what}" flag: invalid key`, 125);
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

async function list(
  ctx: CliContext,
  o: { quiet: boolean; format: string; filters: string[] },
): Promise<void> {
  const res = await ctx.client.get<{ Volumes: VolumeJson[] | null }>('/volumes', {
    filters: filtersJson(o.filters),
  });
  const vols = (res.Volumes ?? []).sort((a, b) => a.Name.localeCompare(b.Name));
  let format = o.format;
  if (o.quiet && (!format || format === 'table')) format = '{{.Name}}';
  if (!format || format === 'table') format = 'table {{.Driver}}\t{{.Name}}';
  ctx.out.write(
    formatList(
      vols.map((v) => new VolumeRow(v)),
      { format, headers: HEADERS },
    ),
  );
}

async function remove(ctx: CliContext, names: string[], force: boolean): Promise<void> {
  const errors: string[] = [];
  for (const n of names) {
    try {
      await ctx.client.delete(`/volumes/${encodeURIComponent(n)}`, { force: force || undefined });
      ctx.print(n);
    } catch (e) {
      errors.push(
        e instanceof ApiError && e.status !== 0
          ? `Error response from daemon: ${e.message}`
          : (e as Error).message,
      );
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'), 1);
}

async function prune(ctx: CliContext, o: { all: boolean; force: boolean; filters: string[] }): Promise<void> {
  const warning = o.all
    ? 'WARNING! This will remove all local volumes not used by at least one container.'
    : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
  if (!o.force && !(await confirm(ctx, warning))) return;
  const filters = [...o.filters, ...(o.all ? ['all=true'] : [])];
  const r = await ctx.client.post<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>(
    '/volumes/prune',
    undefined,
    { filters: filtersJson(filters) },
  );
  let out = '';
  if (r.VolumesDeleted?.length)
    out += 'Deleted Volumes:\n' + r.VolumesDeleted.map((n) => n + '\n').join('') + '\n';
  out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0, 4)}\n`;
  ctx.out.write(out);
}

const specs: Spec[] = [
  {
    paths: [['volume', 'create']],
    usage: '[OPTIONS] [VOLUME]',
    description: 'Create a volume',
    flags: [
      flag.string('driver', 'd', 'Specify volume driver name', 'string', 'local'),
      flag.list('label', undefined, 'Set metadata for a volume'),
      flag.string('name', undefined, 'Specify volume name'),
      { ...flag.list('opt', 'o', 'Set driver specific options'), valueName: 'map' },
    ],
    args: { max: 1 },
    run: async (f, ctx) => {
      const name = f.args[0] ?? f.string('name');
      if (f.args[0] && f.string('name') && f.args[0] !== f.string('name'))
        throw new CliError(
          `conflicting options: cannot specify a volume-name through both --name and as a positional arg`,
          1,
        );
      const v = await ctx.client.post<VolumeJson>('/volumes/create', {
        Name: name || '',
        Driver: f.string('driver') || 'local',
        DriverOpts: kv(f.list('opt'), 'opt'),
        Labels: kv(f.list('label'), 'label'),
      });
      ctx.print(v.Name);
    },
  },
  {
    paths: [
      ['volume', 'ls'],
      ['volume', 'list'],
    ],
    usage: '[OPTIONS]',
    description: 'List volumes',
    flags: [
      { ...flag.filter(undefined), short: 'f', usage: "Provide filter values (e.g. 'dangling=true')" },
      flag.string('format', undefined, 'Format output using a custom template'),
      flag.bool('quiet', 'q', 'Only display volume names'),
    ],
    args: { max: 0 },
    run: (f, ctx) =>
      list(ctx, { quiet: f.bool('quiet'), format: f.string('format'), filters: f.list('filter') }),
  },
  {
    paths: [['volume', 'inspect']],
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Display detailed information on one or more volumes',
    flags: [flag.string('format', 'f', 'Format output using a custom template')],
    args: { min: 1 },
    run: (f, ctx) =>
      inspectObjects(ctx, f.args, f.string('format'), (ref) =>
        ctx.client.get(`/volumes/${encodeURIComponent(ref)}`),
      ),
  },
  {
    paths: [
      ['volume', 'rm'],
      ['volume', 'remove'],
    ],
    usage: '[OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes',
    flags: [flag.bool('force', 'f', 'Force the removal of one or more volumes')],
    args: { min: 1 },
    run: (f, ctx) => remove(ctx, f.args, f.bool('force')),
  },
  {
    paths: [['volume', 'prune']],
    usage: '[OPTIONS]',
    description: 'Remove unused local volumes',
    flags: [
      flag.bool('all', 'a', 'Remove all unused volumes, not just anonymous ones'),
      { ...flag.filter(undefined), usage: 'Provide filter values (e.g. "label=<label>")' },
      flag.bool('force', 'f', 'Do not prompt for confirmation'),
    ],
    args: { max: 0 },
    run: (f, ctx) => prune(ctx, { all: f.bool('all'), force: f.bool('force'), filters: f.list('filter') }),
  },
];

export function registerVolumeCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, specs);
}
