// `stats`: docker's CPU % and memory (usage minus inactive page cache)
// formulas over /containers/{id}/stats, printed as docker's table; a live
// view redraws only on a terminal.
import type { CliContext } from './context.js';
import type { ParsedFlags } from './containers-flags.js';
import type { CommandSpec } from './containers-command.js';
import { describeError } from './containers-command.js';
import { formatList, marshalJson } from './format/table.js';
import { bytesSize, humanSize, truncateId } from './format/units.js';
import { eachJsonLine } from '../client/client.js';

const enc = encodeURIComponent;

export interface StatsEntry {
  Container: string;
  Name: string;
  ID: string;
  CPUPercentage: number;
  Memory: number;
  MemoryLimit: number;
  MemoryPercentage: number;
  NetworkRx: number;
  NetworkTx: number;
  BlockRead: number;
  BlockWrite: number;
  PidsCurrent: number;
  IsInvalid: boolean;
}

/** calculateMemUsageUnixNoCache: usage minus (total_)inactive_file. */
export function memUsageNoCache(mem: { usage?: number; stats?: Record<string, number> }): number {
  const usage = mem.usage ?? 0;
  const s = mem.stats ?? {};
  if (s.total_inactive_file !== undefined && s.total_inactive_file < usage) return usage - s.total_inactive_file;
  if ((s.inactive_file ?? 0) < usage) return usage - (s.inactive_file ?? 0);
  return usage;
}

/** One API stats sample → docker's StatsEntry. */
export function statsEntry(container: string, v: any): StatsEntry {
  const cpu = v.cpu_stats ?? {};
  const pre = v.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  let online = cpu.online_cpus ?? 0;
  if (!online) online = (cpu.cpu_usage?.percpu_usage ?? []).length;
  const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
  const mem = memUsageNoCache(v.memory_stats ?? {});
  const limit = v.memory_stats?.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values((v.networks ?? {}) as Record<string, { rx_bytes?: number; tx_bytes?: number }>)) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of (v.blkio_stats?.io_service_bytes_recursive ?? []) as Array<{ op: string; value: number }>) {
    const op = e.op?.[0];
    if (op === 'r' || op === 'R') read += e.value;
    else if (op === 'w' || op === 'W') write += e.value;
  }
  return {
    Container: container,
    Name: (v.name ?? '').replace(/^\//, ''),
    ID: v.id ?? '',
    CPUPercentage: cpuPercent,
    Memory: mem,
    MemoryLimit: limit,
    MemoryPercentage: limit ? (mem / limit) * 100 : 0,
    NetworkRx: rx,
    NetworkTx: tx,
    BlockRead: read,
    BlockWrite: write,
    PidsCurrent: v.pids_stats?.current ?? 0,
    IsInvalid: false,
  };
}

/** The row context of docker's stats formatter. */
export class StatsContext {
  constructor(
    private readonly s: StatsEntry,
    private readonly trunc: boolean,
  ) {}
  get Container(): string {
    return this.s.Container;
  }
  get Name(): string {
    return this.s.Name || '--';
  }
  get ID(): string {
    return this.trunc ? truncateId(this.s.ID) : this.s.ID;
  }
  get CPUPerc(): string {
    return this.s.IsInvalid ? '--' : `${this.s.CPUPercentage.toFixed(2)}%`;
  }
  get MemUsage(): string {
    return this.s.IsInvalid ? '-- / --' : `${bytesSize(this.s.Memory)} / ${bytesSize(this.s.MemoryLimit)}`;
  }
  get MemPerc(): string {
    return this.s.IsInvalid ? '--' : `${this.s.MemoryPercentage.toFixed(2)}%`;
  }
  get NetIO(): string {
    return this.s.IsInvalid ? '--' : `${humanSize(this.s.NetworkRx)} / ${humanSize(this.s.NetworkTx)}`;
  }
  get BlockIO(): string {
    return this.s.IsInvalid ? '--' : `${humanSize(this.s.BlockRead)} / ${humanSize(this.s.BlockWrite)}`;
  }
  get PIDs(): string {
    return this.s.IsInvalid ? '--' : String(this.s.PidsCurrent);
  }
  toGoJSON(): string {
    const o: Record<string, string> = {};
    for (const k of ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']) o[k] = (this as any)[k];
    return marshalJson(o);
  }
}

const STATS_HEADERS = {
  Container: 'CONTAINER',
  Name: 'NAME',
  ID: 'CONTAINER ID',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};
const DEFAULT_STATS = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

function invalidEntry(name: string): StatsEntry {
  return { Container: name, Name: '', ID: name, CPUPercentage: 0, Memory: 0, MemoryLimit: 0, MemoryPercentage: 0, NetworkRx: 0, NetworkTx: 0, BlockRead: 0, BlockWrite: 0, PidsCurrent: 0, IsInvalid: true };
}

/**
 * One tick of docker v28's live view, byte for byte, terminal or not: the
 * table after cursor-home, then again with every line erased to its end and
 * the rest of the screen cleared (docker writes both buffers).
 */
export function liveFrame(table: string): string {
  const first = '\x1b[H' + table;
  return first + first.split('\n').map((l) => `${l} \x1b[K\n`).join('') + '\x1b[J';
}

async function stats(f: ParsedFlags, ctx: CliContext): Promise<number> {
  let names = f.args;
  if (!names.length) {
    const list = await ctx.client.get<Array<{ Id: string }>>('/containers/json', { all: f.bool('all') || undefined });
    names = list.map((c) => c.Id);
  }
  return showStats(ctx, names, { format: f.string('format'), noTrunc: f.bool('no-trunc'), noStream: f.bool('no-stream') });
}

export interface StatsOptions {
  format?: string;
  noTrunc?: boolean;
  noStream?: boolean;
}

/** docker stats for these containers: one table, or the live view until Ctrl-C (also `compose stats`). */
export async function showStats(ctx: CliContext, names: string[], o: StatsOptions): Promise<number> {
  const format = o.format || DEFAULT_STATS;
  const trunc = !o.noTrunc;
  const entries = new Map<string, StatsEntry>(names.map((n) => [n, invalidEntry(n)]));
  const render = (): string => formatList([...entries.values()].map((e) => new StatsContext(e, trunc)), { format, headers: STATS_HEADERS });

  if (o.noStream) {
    const errors: string[] = [];
    await Promise.all(
      names.map(async (n) => {
        try {
          entries.set(n, statsEntry(n, await ctx.client.get(`/containers/${enc(n)}/stats`, { stream: false })));
        } catch (e) {
          errors.push(describeError(e));
        }
      }),
    );
    if (errors.length) {
      ctx.err.write(errors.join('\n') + '\n');
      return 1;
    }
    ctx.out.write(render());
    return 0;
  }

  // Live view: one stream per container, the table redrawn each second.
  const controller = new AbortController();
  for (const n of names) {
    ctx.client
      .call('GET', `/containers/${enc(n)}/stats`, { query: { stream: true }, signal: controller.signal })
      .then((res) => eachJsonLine(res, (v) => entries.set(n, statsEntry(n, v))))
      .catch(() => entries.set(n, invalidEntry(n)));
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => ctx.out.write(liveFrame(render())), 1000);
    process.once('SIGINT', () => {
      clearInterval(timer);
      controller.abort();
      resolve();
    });
  });
  return 0;
}

export const STATS_SPEC: CommandSpec = {
  name: 'stats',
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    { long: 'format', kind: 'string', usage: 'Format output using a custom template' },
    { long: 'no-stream', kind: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    { long: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
  ],
  run: stats,
};
