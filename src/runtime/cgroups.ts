// Finding a container's cgroup directories from /proc/<pid>/cgroup, for both
// cgroup v1 (one hierarchy per controller, as on this machine) and v2.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';

export interface CgroupPaths {
  /** v1: controller name → directory. */
  v1: Record<string, string>;
  /** v2 directory, when the unified hierarchy holds the controllers. */
  v2?: string;
}

export function isCgroup2Only(): boolean {
  return existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'));
}

/** Directories for a cgroupsPath such as `/berth/<id>` (no process needed). */
export function cgroupPathsFor(cgroupsPath: string): CgroupPaths {
  if (isCgroup2Only()) return { v1: {}, v2: path.join(CGROUP_ROOT, cgroupsPath) };
  const v1: Record<string, string> = {};
  for (const c of ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'blkio', 'devices', 'freezer']) {
    v1[c] = path.join(CGROUP_ROOT, c, cgroupsPath);
  }
  return { v1 };
}

/** Parses /proc/<pid>/cgroup. */
export function parseProcCgroup(text: string): CgroupPaths {
  const out: CgroupPaths = { v1: {} };
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, hid, ctrls, rel] = m;
    if (hid === '0' && ctrls === '') {
      const unified = isCgroup2Only() ? CGROUP_ROOT : path.join(CGROUP_ROOT, 'unified');
      out.v2 = path.join(unified, rel);
      continue;
    }
    for (const c of ctrls.split(',')) {
      if (!c || c.startsWith('name=')) continue;
      // Mounted as e.g. /sys/fs/cgroup/cpu,cpuacct or separately per controller.
      const joined = path.join(CGROUP_ROOT, ctrls, rel);
      out.v1[c] = existsSync(joined) ? joined : path.join(CGROUP_ROOT, c, rel);
    }
  }
  return out;
}

export function cgroupPathsOfPid(pid: number): CgroupPaths {
  return parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
}

export function readNumber(file: string): number | undefined {
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (t === 'max') return undefined;
    const n = Number(t);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** "key value" per line files (memory.stat, cpu.stat). */
export function readKeyValues(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readText(file).split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** Pids of every process in the cgroup (v1 pids/memory hierarchy, or v2). */
export function cgroupPids(p: CgroupPaths): number[] {
  const dir = p.v1.pids ?? p.v1.memory ?? p.v2;
  if (!dir) return [];
  return readText(path.join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
}
