// `docker stats` and `docker top`: the runtime's cgroup numbers in Docker's
// stats JSON (with precpu_stats from the previous sample), and `ps` output
// filtered to the container's processes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Conflict, SystemError } from '../api/errors.js';
import type { Stats } from '../runtime/types.js';
import type { ContainerRecord } from './containers-model.js';
import { ZERO_TIME } from './containers-model.js';

const run = promisify(execFile);

function cpuJson(s: Stats | null): Record<string, unknown> {
  if (!s)
    return {
      cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
      throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
    };
  const usage: Record<string, unknown> = { total_usage: s.cpu.total, usage_in_kernelmode: 0, usage_in_usermode: 0 };
  if (s.cpu.percpu?.length) usage.percpu_usage = s.cpu.percpu;
  return {
    cpu_usage: usage,
    system_cpu_usage: s.cpu.system,
    online_cpus: s.cpu.onlineCpus,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

/** One stats document; `prev` fills precpu_stats and preread. */
export function statsJson(c: ContainerRecord, cur: Stats | null, prev: Stats | null): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: c.name,
    id: c.id,
    read: cur?.read ?? ZERO_TIME,
    preread: prev?.read ?? ZERO_TIME,
    pids_stats: cur ? { current: cur.pids.current, ...(cur.pids.limit ? { limit: cur.pids.limit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: cur?.blkio.length ? cur.blkio : null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuJson(cur),
    precpu_stats: cpuJson(prev),
    memory_stats: cur ? { usage: cur.memory.usage, stats: cur.memory.stats, limit: cur.memory.limit } : {},
  };
  if (cur?.net && Object.keys(cur.net).length) {
    const nets: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(cur.net))
      nets[k] = { ...v, rx_errors: 0, rx_dropped: 0, tx_errors: 0, tx_dropped: 0 };
    out.networks = nets;
  }
  return out;
}

/** `ps <args>` on the host, keeping the header and the container's processes (moby's way). */
export async function topOf(c: ContainerRecord, pids: number[], psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  if (!c.state.Running) throw new Conflict(`container ${c.id} is not running`);
  if (c.state.Restarting) throw new Conflict(`Container ${c.id} is restarting, wait until the container is running`);
  const args = (psArgs || '-ef').split(/\s+/).filter(Boolean);
  let stdout: string;
  try {
    ({ stdout } = await run('ps', args, { maxBuffer: 16 << 20 }));
  } catch (e) {
    throw new SystemError(`Error running ps: ${(e as Error).message}`);
  }
  return parsePs(stdout, pids);
}

export function parsePs(stdout: string, pids: number[]): { Titles: string[]; Processes: string[][] } {
  const lines = stdout.split('\n').filter((l) => l.trim());
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new SystemError(`Couldn't find PID field in ps output`);
  const want = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    // The last column (command) may contain spaces.
    const fields = line.trim().split(/\s+/);
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    if (want.has(Number(row[pidIndex]))) processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}
