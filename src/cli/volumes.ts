// Volume commands: volume create, ls, inspect, rm, prune — docker's flags,
// table and texts.
import type { Command } from 'commander';
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
import { humanSize } from './format/units.js';
import { confirm } from './images-prompt.js';
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
class VolumeRow extends LabeledRow {
  constructor(private readonly v: VolumeJson) {
    super(v.Labels);
  }
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

async function list(
  ctx: CliContext,
  o: { quiet: boolean; format: string; filters: string[] },
): Promise<void> {
  const res = await ctx.client.get<{ Volumes: VolumeJson[] | null }>('/volumes', {
    filters: filtersJson(o.filters),
  });
  const vols = (res.Volumes ?? []).sort((a, b) => a.Name.localeCompare(b.Name));
  const format = listFormat(o, 'Name', 'table {{.Driver}}\t{{.Name}}');
  ctx.out.write(
    formatList(
      vols.map((v) => new VolumeRow(v)),
      { format, headers: HEADERS },
    ),
  );
}

function remove(ctx: CliContext, names: string[], force: boolean): Promise<void> {
  return removeEach(ctx, names, (n) =>
    ctx.client.delete(`/volumes/${encodeURIComponent(n)}`, { force: force || undefined }),
  );
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
  ctx.out.write(
    deletedList('Deleted Volumes', r.VolumesDeleted) +
      `Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0, 4)}\n`,
  );
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
        DriverOpts: keyValues(f.list('opt'), 'opt'),
        Labels: keyValues(f.list('label'), 'label'),
      });
      ctx.print(v.Name);
    },
  },
  {
    paths: lsPaths('volume'),
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
  inspectSpec('volume', 'Display detailed information on one or more volumes', '/volumes'),
  {
    paths: rmPaths('volume'),
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
