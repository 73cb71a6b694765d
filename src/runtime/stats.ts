// One stats sample for a container, from its cgroups (v1 or v2), /proc/stat
// and the network devices of its netns (/proc/<pid>/net/dev).
import os from 'node:os';
import path from 'node:path';
import { readKeyValues, readNumber, readText, type CgroupPaths } from './cgroups.js';
import type { Stats } from './types.js';

const CLK_TCK = 100;

/** Host CPU time in nanoseconds: the sum of the `cpu` line of /proc/stat. */
export function systemCpuNs(procStat = readText('/proc/stat')): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .map(Number)
    .reduce((a, b) => a + b, 0);
  return (ticks * 1e9) / CLK_TCK;
}

export function parseNetDev(text: string): NonNullable<Stats['net']> {
  const out: NonNullable<Stats['net']> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = { rx_bytes: f[0], rx_packets: f[1], tx_bytes: f[8], tx_packets: f[9] };
  }
  return out;
}

/** blkio.throttle.io_service_bytes lines: "8:0 Read 4096". */
export function parseBlkioV1(text: string): Stats['blkio'] {
  const out: Stats['blkio'] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m)
      out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3].toLowerCase(), value: Number(m[4]) });
  }
  return out;
}

/** io.stat lines: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 …" (reported like v1's read/write). */
export function parseIoStatV2(text: string): Stats['blkio'] {
  const out: Stats['blkio'] = [];
  for (const line of text.split('\n')) {
    const [dev, ...kvs] = line.trim().split(/\s+/);
    const d = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!d) continue;
    for (const kv of kvs) {
      const [k, v] = kv.split('=');
      if (k === 'rbytes')
        out.push({ major: Number(d[1]), minor: Number(d[2]), op: 'read', value: Number(v) });
      if (k === 'wbytes')
        out.push({ major: Number(d[1]), minor: Number(d[2]), op: 'write', value: Number(v) });
    }
  }
  return out;
}

export function readStats(cg: CgroupPaths, pid: number): Stats {
  const hostMem = os.totalmem();
  const v1 = cg.v1;
  let cpu: Stats['cpu'];
  let memory: Stats['memory'];
  let pids: Stats['pids'];
  let blkio: Stats['blkio'];
  if (v1.memory || v1.cpuacct) {
    const percpu = readText(path.join(v1.cpuacct ?? '', 'cpuacct.usage_percpu'))
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    cpu = {
      total: readNumber(path.join(v1.cpuacct ?? '', 'cpuacct.usage')) ?? 0,
      system: systemCpuNs(),
      onlineCpus: os.cpus().length,
      percpu,
    };
    const stats = readKeyValues(path.join(v1.memory ?? '', 'memory.stat'));
    const limit = readNumber(path.join(v1.memory ?? '', 'memory.limit_in_bytes')) ?? hostMem;
    memory = {
      usage: readNumber(path.join(v1.memory ?? '', 'memory.usage_in_bytes')) ?? 0,
      limit: Math.min(limit, hostMem),
      cache: stats.cache,
      stats,
    };
    pids = {
      current: readNumber(path.join(v1.pids ?? '', 'pids.current')) ?? 0,
      limit: readNumber(path.join(v1.pids ?? '', 'pids.max')),
    };
    blkio = parseBlkioV1(readText(path.join(v1.blkio ?? '', 'blkio.throttle.io_service_bytes')));
  } else {
    const dir = cg.v2 ?? '';
    const cpuStat = readKeyValues(path.join(dir, 'cpu.stat'));
    cpu = { total: (cpuStat.usage_usec ?? 0) * 1000, system: systemCpuNs(), onlineCpus: os.cpus().length };
    const stats = readKeyValues(path.join(dir, 'memory.stat'));
    const limit = readNumber(path.join(dir, 'memory.max')) ?? hostMem;
    memory = {
      usage: readNumber(path.join(dir, 'memory.current')) ?? 0,
      limit: Math.min(limit, hostMem),
      cache: stats.file,
      stats,
    };
    pids = {
      current: readNumber(path.join(dir, 'pids.current')) ?? 0,
      limit: readNumber(path.join(dir, 'pids.max')),
    };
    blkio = parseIoStatV2(readText(path.join(dir, 'io.stat')));
  }
  const net = pid > 0 ? parseNetDev(readText(`/proc/${pid}/net/dev`)) : undefined;
  return { read: new Date().toISOString(), cpu, memory, pids, blkio, net };
}
