// `ps` (a project's containers, Compose v2's columns) and `ls` (projects
// found through container labels).
import type { Command } from 'commander';
import { ComposeError } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import { L } from '../labels.js';
import {
  isOneoff,
  listContainers,
  nameOf,
  numberOf,
  serviceOf,
  type Summary,
} from '../converge-containers.js';
import { selectServices } from '../converge.js';
import { displayablePorts, ellipsis, goQuote, type ApiPort } from '../../cli/containers-ps.js';
import { formatList, marshalJson } from '../../cli/format/table.js';
import { timeAgo } from '../../cli/format/units.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

const PS_TABLE =
  'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}';
const PS_HEADERS = {
  Name: 'NAME',
  Names: 'NAMES',
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  Service: 'SERVICE',
  RunningFor: 'CREATED',
  CreatedAt: 'CREATED AT',
  Status: 'STATUS',
  State: 'STATE',
  Ports: 'PORTS',
  Project: 'PROJECT',
  Health: 'HEALTH',
  ExitCode: 'EXIT CODE',
};

/** One row of `compose ps`: template fields as methods, JSON like Compose's ContainerSummary. */
class PsRow {
  constructor(
    private readonly c: Summary,
    private readonly trunc: boolean,
  ) {}
  get ID(): string {
    return this.trunc ? this.c.Id.slice(0, 12) : this.c.Id;
  }
  get Name(): string {
    return nameOf(this.c);
  }
  get Names(): string {
    return nameOf(this.c);
  }
  get Image(): string {
    return this.c.Image;
  }
  get Command(): string {
    return goQuote(this.trunc ? ellipsis(this.c.Command ?? '', 20) : (this.c.Command ?? ''));
  }
  get Service(): string {
    return serviceOf(this.c);
  }
  get Project(): string {
    return this.c.Labels[L.project] ?? '';
  }
  get RunningFor(): string {
    return timeAgo(this.c.Created);
  }
  get CreatedAt(): string {
    return new Date(this.c.Created * 1000).toISOString();
  }
  get Status(): string {
    return this.c.Status;
  }
  get State(): string {
    return this.c.State;
  }
  get Health(): string {
    const m = /\((healthy|unhealthy|health: starting)\)/.exec(this.c.Status ?? '');
    return m ? m[1].replace('health: ', '') : '';
  }
  get ExitCode(): number {
    const m = /^Exited \((\d+)\)/.exec(this.c.Status ?? '');
    return m ? Number(m[1]) : 0;
  }
  get Ports(): string {
    return displayablePorts((this.c.Ports ?? []) as ApiPort[]);
  }
  get Labels(): string {
    return Object.entries(this.c.Labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  toGoJSON(): string {
    return marshalJson({
      Command: this.c.Command,
      CreatedAt: this.CreatedAt,
      ExitCode: this.ExitCode,
      Health: this.Health,
      ID: this.c.Id,
      Image: this.Image,
      Labels: this.Labels,
      Name: this.Name,
      Names: this.Names,
      Ports: this.Ports,
      Project: this.Project,
      Publishers: (this.c.Ports ?? []).map((p) => ({
        URL: p.IP ?? '',
        TargetPort: p.PrivatePort,
        PublishedPort: p.PublicPort ?? 0,
        Protocol: p.Type,
      })),
      RunningFor: this.RunningFor,
      Service: this.Service,
      State: this.State,
      Status: this.Status,
    });
  }
}

interface PsFlags {
  all?: boolean;
  quiet?: boolean;
  services?: boolean;
  status: string[];
  filter?: string;
  format?: string;
  trunc?: boolean;
  orphans?: boolean;
}

const STATES = ['paused', 'restarting', 'removing', 'running', 'dead', 'created', 'exited'];

export function registerListCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('ps')
    .description('List containers')
    .argument('[service...]')
    .option('-a, --all', 'Show all stopped containers (including those created by the run command)')
    .option('-q, --quiet', 'Only display IDs')
    .option('--services', 'Display services')
    .option('--status <status>', 'Filter services by status', collect, [])
    .option('--filter <filter>', 'Filter services by a property (supported filters: status)')
    .option('--format <format>', 'Format the output', 'table')
    .option('--no-trunc', "Don't truncate output")
    .option('--no-orphans', "Don't include orphaned services")
    .action(
      run(async (services: string[], f: PsFlags) => {
        const project = await cc.project({ optional: true });
        if (services.length) selectServices(project, services);
        const status = [...f.status];
        if (f.filter) {
          const m = /^status=(.*)$/.exec(f.filter);
          if (!m) throw new ComposeError(`unsupported filter: ${f.filter}`);
          status.push(m[1]);
        }
        for (const s of status)
          if (!STATES.includes(s)) throw new ComposeError(`invalid filter 'status=${s}'`);
        let list = await listContainers(cc.client, project.name, true);
        list = list.filter((c) => {
          if (services.length && !services.includes(serviceOf(c))) return false;
          if (f.orphans === false && !project.services[serviceOf(c)]) return false;
          if (status.length) return status.includes(c.State);
          if (!f.all && c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused')
            return false;
          return f.all || !isOneoff(c) || c.State === 'running';
        });
        list.sort((a, b) => nameOf(a).localeCompare(nameOf(b)) || numberOf(a) - numberOf(b));
        if (f.services) {
          const names = [...new Set(list.map(serviceOf))];
          process.stdout.write(names.map((n) => n + '\n').join(''));
          return;
        }
        if (f.quiet) {
          process.stdout.write(list.map((c) => c.Id + '\n').join(''));
          return;
        }
        const format = f.format === 'table' || !f.format ? PS_TABLE : f.format;
        const rows = list.map((c) => new PsRow(c, f.trunc !== false));
        process.stdout.write(formatList(rows, { format, headers: PS_HEADERS }));
      }),
    );

  compose
    .command('ls')
    .description('List running compose projects')
    .option('-a, --all', 'Show all stopped Compose projects')
    .option('--format <format>', 'Format the output. Values: [table | json]', 'table')
    .option('-q, --quiet', 'Only display project names')
    .option('--filter <filter>', 'Filter output based on conditions provided')
    .action(
      run(async (f: { all?: boolean; format: string; quiet?: boolean; filter?: string }) => {
        const all = await cc.client.get<Summary[]>('/containers/json', {
          all: 1,
          filters: JSON.stringify({ label: [L.project] }),
        });
        const projects = new Map<string, Summary[]>();
        for (const c of all) {
          const p = c.Labels[L.project];
          if (!projects.has(p)) projects.set(p, []);
          projects.get(p)!.push(c);
        }
        let nameFilter: string | undefined;
        if (f.filter) {
          const m = /^name=(.*)$/.exec(f.filter);
          if (!m) throw new ComposeError(`invalid filter '${f.filter}'`);
          nameFilter = m[1];
        }
        const rows = [...projects]
          .map(([name, cs]) => ({
            Name: name,
            Status: combinedStatus(cs),
            ConfigFiles: configFilesOf(cs),
            cs,
          }))
          .filter((p) => f.all || p.cs.some((c) => c.State === 'running'))
          .filter((p) => !nameFilter || p.Name.includes(nameFilter))
          .sort((a, b) => a.Name.localeCompare(b.Name));
        if (f.quiet) return void process.stdout.write(rows.map((r) => r.Name + '\n').join(''));
        if (f.format === 'json') {
          const out = rows.map(({ Name, Status, ConfigFiles }) => ({ Name, Status, ConfigFiles }));
          return void process.stdout.write(JSON.stringify(out) + '\n');
        }
        const format = f.format === 'table' ? 'table {{.Name}}\t{{.Status}}\t{{.ConfigFiles}}' : f.format;
        const out = formatList(
          rows.map(({ Name, Status, ConfigFiles }) => ({ Name, Status, ConfigFiles })),
          { format, headers: { Name: 'NAME', Status: 'STATUS', ConfigFiles: 'CONFIG FILES' } },
        );
        process.stdout.write(out);
      }),
    );
}

/** Compose's `running(2), exited(1)`: one count per state, states sorted. */
export function combinedStatus(cs: { State: string }[]): string {
  const counts = new Map<string, number>();
  for (const c of cs) counts.set(c.State, (counts.get(c.State) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}(${n})`)
    .join(', ');
}

function configFilesOf(cs: Summary[]): string {
  const files = new Set<string>();
  for (const c of cs) if (c.Labels[L.configFiles]) files.add(c.Labels[L.configFiles]);
  return [...files].join(',');
}
