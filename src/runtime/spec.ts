// ContainerRunSpec → OCI runtime config.json (runtime-spec 1.0.2, as runc 1.1
// reads it), following the defaults dockerd gives every container.
import { lstatSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgument } from '../api/errors.js';
import { computeCaps, UnknownCapability } from './caps.js';
import { clampRlimits, RLIM_INFINITY } from './rlimits.js';
import { defaultSeccomp, type OciSeccomp } from './seccomp-default.js';
import { resolveSeccompProfile } from './seccomp-profile.js';
import type { ContainerRunSpec } from './types.js';
import { resolveUser, type ResolvedUser } from './user.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
/** Where Docker mounts its init binary inside the container. */
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

export const DEFAULT_MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
export const DEFAULT_READONLY_PATHS = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface SpecHostFacts {
  /** Engine's hard rlimits (rlimits.hostHardLimits()). */
  hostHard: Record<string, number>;
  /** Host path of a static init (tini-static / catatonit) for `--init`. */
  initBinary?: string;
  /** memory.memsw.* exists (cgroup v1 swap accounting) or cgroup v2 swap. */
  swapAccounting: boolean;
  /** cgroupsPath prefix; containers live at `<parent>/<id>`. */
  cgroupParent: string;
}

export type OciSpec = Record<string, unknown> & {
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<string, string[]>;
    rlimits: { type: string; soft: number | string; hard: number | string }[];
    noNewPrivileges?: boolean;
  };
  root: { path: string; readonly: boolean };
  mounts: OciMount[];
  linux: Record<string, unknown> & {
    namespaces: { type: string; path?: string }[];
    resources: Record<string, unknown>;
  };
};

function defaultMounts(spec: ContainerRunSpec): OciMount[] {
  const sysOpts = ['nosuid', 'noexec', 'nodev', spec.privileged ? 'rw' : 'ro'];
  const shmSize =
    spec.resources.shmSize && spec.resources.shmSize > 0 ? spec.resources.shmSize : DEFAULT_SHM_SIZE;
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: sysOpts },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', spec.privileged ? 'rw' : 'ro'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`],
    },
  ];
}

/** Environment the daemon adds (PATH, HOSTNAME, TERM, HOME); the container's own values win. */
export function processEnv(spec: ContainerRunSpec, home: string): string[] {
  const env = new Map<string, string>();
  const put = (kv: string) => {
    const i = kv.indexOf('=');
    env.set(i < 0 ? kv : kv.slice(0, i), kv);
  };
  put(`PATH=${DEFAULT_PATH}`);
  put(`HOSTNAME=${spec.hostname}`);
  if (spec.tty) put('TERM=xterm');
  for (const kv of spec.env) put(kv);
  if (!env.has('HOME')) put(`HOME=${home}`);
  return [...env.values()];
}

function namespaces(spec: ContainerRunSpec): { type: string; path?: string }[] {
  const ns: { type: string; path?: string }[] = [{ type: 'mount' }];
  const mode = (type: string, m: string | undefined) => {
    if (m === 'host') return;
    if (m && m.startsWith('/')) ns.push({ type, path: m });
    else ns.push({ type });
  };
  mode('pid', spec.pidMode);
  mode('ipc', spec.ipcMode);
  ns.push({ type: 'uts' });
  if (spec.netns === 'none') ns.push({ type: 'network' });
  else if (spec.netns !== 'host') ns.push({ type: 'network', path: spec.netns.path });
  return ns;
}

function resources(spec: ContainerRunSpec, facts: SpecHostFacts): Record<string, unknown> {
  const r = spec.resources;
  const out: Record<string, unknown> = {
    devices: [{ allow: spec.privileged, access: 'rwm' }],
  };
  const memory: Record<string, number | boolean> = {};
  if (r.memoryReservation && r.memoryReservation > 0) memory.reservation = r.memoryReservation;
  if (r.memorySwappiness !== undefined && r.memorySwappiness >= 0) memory.swappiness = r.memorySwappiness;
  if (r.oomKillDisable) memory.disableOOMKiller = true;
  if (r.memory && r.memory > 0) {
    memory.limit = r.memory;
    if (facts.swapAccounting) {
      // Docker: swap unset → twice the memory; -1 → unlimited.
      if (r.memorySwap === undefined || r.memorySwap === 0) memory.swap = r.memory * 2;
      else memory.swap = r.memorySwap;
    }
  }
  if (Object.keys(memory).length) out.memory = memory;
  const cpu: Record<string, unknown> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.nanoCpus && r.nanoCpus > 0) {
    cpu.period = 100000;
    cpu.quota = Math.round((r.nanoCpus * 100000) / 1e9);
  } else {
    if (r.cpuPeriod) cpu.period = r.cpuPeriod;
    if (r.cpuQuota) cpu.quota = r.cpuQuota;
  }
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.blkioWeight && r.blkioWeight > 0) out.blockIO = { weight: r.blkioWeight };
  const devices = out.devices as Record<string, unknown>[];
  for (const d of spec.devices ?? []) {
    const node = deviceNode(d.pathOnHost, d.pathInContainer);
    devices.push({
      allow: true,
      type: node.type,
      major: node.major,
      minor: node.minor,
      access: d.cgroupPermissions || 'rwm',
    });
  }
  return out;
}

function majorMinor(rdev: number): { major: number; minor: number } {
  return {
    major: Math.floor(rdev / 256) & 0xfff,
    minor: (rdev & 0xff) | (Math.floor(rdev / 4096) & 0xfff00),
  };
}

/** One host device node (`--device /dev/fuse[:/dev/fuse[:rwm]]`) as an OCI linux.devices entry. */
export function deviceNode(
  hostPath: string,
  containerPath: string,
): { path: string; type: string; major: number; minor: number; fileMode: number; uid: number; gid: number } {
  let st;
  try {
    st = statSync(hostPath);
  } catch {
    throw new InvalidArgument(
      `error gathering device information while adding custom device "${hostPath}": no such file or directory`,
    );
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice())
    throw new InvalidArgument(
      `error gathering device information while adding custom device "${hostPath}": not a device node`,
    );
  return {
    path: containerPath || hostPath,
    type: st.isCharacterDevice() ? 'c' : 'b',
    ...majorMinor(st.rdev),
    fileMode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
  };
}

/** Host devices for --privileged (what Docker exposes: all of /dev but the pseudo filesystems). */
export function hostDevices(dir = '/dev'): Record<string, unknown>[] {
  const skip = new Set(['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/console']);
  const out: Record<string, unknown>[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      if (skip.has(p)) continue;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const { major, minor } = majorMinor(st.rdev);
        out.push({
          path: p,
          type: st.isCharacterDevice() ? 'c' : 'b',
          major,
          minor,
          fileMode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
        });
      }
    }
  };
  walk(dir);
  return out;
}

function seccompFor(spec: ContainerRunSpec, caps: string[]): OciSeccomp | undefined {
  if (spec.privileged) return undefined;
  const opt = spec.securityOpt.find((o) => o.startsWith('seccomp=') || o.startsWith('seccomp:'));
  if (!opt) return defaultSeccomp(caps);
  const value = opt.slice('seccomp='.length);
  if (value === 'unconfined') return undefined;
  return resolveSeccompProfile(value, caps);
}

function sortMounts(mounts: OciMount[]): OciMount[] {
  // Parents before children, like Docker (by path depth).
  const depth = (p: string) => path.normalize(p).split('/').length;
  return [...mounts].sort((a, b) => depth(a.destination) - depth(b.destination));
}

export function buildSpec(spec: ContainerRunSpec, facts: SpecHostFacts, user?: ResolvedUser): OciSpec {
  const u = user ?? resolveUser(spec.rootfs, spec.user, spec.groupAdd);
  let caps: string[];
  try {
    caps = computeCaps(spec.capAdd, spec.capDrop, spec.privileged);
  } catch (err) {
    if (err instanceof UnknownCapability) throw new InvalidArgument(err.message);
    throw err;
  }
  const args = spec.init ? [INIT_PATH_IN_CONTAINER, '--', ...spec.args] : [...spec.args];
  if (args.length === 0) throw new InvalidArgument('no command specified');

  const userMounts: OciMount[] = spec.mounts.map((m) => ({ ...m }));
  const etc: OciMount[] = [];
  const bind = (dest: string, src?: string) => {
    if (src) etc.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate'] });
  };
  bind('/etc/resolv.conf', spec.etcFiles.resolvConf);
  bind('/etc/hostname', spec.etcFiles.hostname);
  bind('/etc/hosts', spec.etcFiles.hosts);
  if (spec.init) {
    if (!facts.initBinary) throw new InvalidArgument('no init binary available (install tini or catatonit)');
    etc.push({
      destination: INIT_PATH_IN_CONTAINER,
      type: 'bind',
      source: facts.initBinary,
      options: ['bind', 'ro'],
    });
  }
  const taken = new Set([...userMounts, ...etc].map((m) => path.normalize(m.destination)));
  const mounts = [
    ...defaultMounts(spec).filter((m) => !taken.has(m.destination)),
    ...sortMounts([
      ...etc.filter((m) => !userMounts.some((x) => path.normalize(x.destination) === m.destination)),
      ...userMounts,
    ]),
  ];

  const linux: OciSpec['linux'] = {
    namespaces: namespaces(spec),
    resources: resources(spec, facts),
    cgroupsPath: `${facts.cgroupParent}/${spec.id}`,
  };
  if (spec.sysctls && Object.keys(spec.sysctls).length) linux.sysctl = { ...spec.sysctls };
  if (spec.privileged) linux.devices = hostDevices();
  else if (spec.devices?.length)
    linux.devices = spec.devices.map((d) => deviceNode(d.pathOnHost, d.pathInContainer));
  if (!spec.privileged) {
    linux.maskedPaths = [...DEFAULT_MASKED_PATHS];
    linux.readonlyPaths = [...DEFAULT_READONLY_PATHS];
  }
  const seccomp = seccompFor(spec, caps);
  if (seccomp) linux.seccomp = seccomp;

  const oci: OciSpec = {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: spec.tty,
      user: {
        uid: u.uid,
        gid: u.gid,
        ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}),
      },
      args,
      env: processEnv(spec, u.home),
      cwd: spec.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: clampRlimits(spec.resources.ulimits, facts.hostHard),
      noNewPrivileges: spec.securityOpt.some((o) => /^no-new-privileges(=true|:true)?$/.test(o)),
      ...(spec.oomScoreAdj ? { oomScoreAdj: spec.oomScoreAdj } : {}),
    },
    root: { path: spec.rootfs, readonly: spec.readonlyRootfs },
    hostname: spec.hostname,
    mounts,
    linux,
  };
  if (spec.domainname) oci.domainname = spec.domainname;
  return oci;
}

/** JSON for config.json; writes RLIM_INFINITY as the uint64 literal runc expects. */
export function serializeSpec(spec: OciSpec): string {
  return JSON.stringify(spec, null, 2).replaceAll(`"${RLIM_INFINITY}"`, '18446744073709551615');
}
