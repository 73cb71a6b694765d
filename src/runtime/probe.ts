// Choosing the OCI runtime binary. runc is the default; crun is used when
// asked for by name, or picked automatically when a probe shows it works on
// this host: crun 1.8 refuses the cgroup v1+v2 hybrid layout ("cgroups in
// hybrid mode not supported"), so the probe runs `/bin/true` in a throwaway
// container (the host's /usr bound read-only into an empty rootfs, its own
// cgroup) once per process.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { CGROUP_ROOT, isCgroup2Only } from './cgroups.js';
import path from 'node:path';
import { InvalidArgument } from '../api/errors.js';

export interface RuntimeChoice {
  name: string;
  path: string;
}

/** daemon.json `runtimes`: { "<name>": { "path": "/usr/bin/crun" } }. */
export type RuntimesConfig = Record<string, { path: string; runtimeArgs?: string[] }>;

export function findBinary(name: string): string | undefined {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Resolves a runtime by name (`--runtime`), or picks the default for this host. */
export function chooseRuntime(wanted?: string, runtimes: RuntimesConfig = {}): RuntimeChoice {
  if (wanted) {
    const configured = runtimes[wanted];
    const p = configured ? findBinary(configured.path) : findBinary(wanted);
    if (!p) throw new InvalidArgument(`unknown or invalid runtime name: ${wanted}`);
    return { name: wanted, path: p };
  }
  const crun = findBinary('crun');
  // Known to fail on the hybrid layout: skip the probe's cost there.
  if (crun && !isCgroupHybrid() && probeRuntime(crun)) return { name: 'crun', path: crun };
  const runc = findBinary('runc');
  if (!runc) throw new Error('no OCI runtime found: install runc');
  return { name: 'runc', path: runc };
}

/** Static init binary for --init, mounted at /sbin/docker-init. */
export function findInitBinary(): string | undefined {
  for (const p of [
    '/usr/libexec/docker/docker-init',
    '/usr/bin/docker-init',
    '/usr/bin/tini-static',
    '/usr/bin/catatonit',
    '/usr/libexec/podman/catatonit',
  ]) {
    if (existsSync(p)) return p;
  }
  return undefined;
}

const probed = new Map<string, boolean>();

/** Whether `bin` can run a container here (cgroups included). Memoized. */
export function probeRuntime(bin: string): boolean {
  const known = probed.get(bin);
  if (known !== undefined) return known;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-rtprobe-'));
  const id = `berth-probe-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(path.join(dir, 'bundle'));
    const rootfs = path.join(dir, 'rootfs');
    mkdirSync(rootfs);
    // The host's /usr (read-only) and its top-level links or binds, enough for /bin/true.
    const mounts: { destination: string; type: string; source: string; options: string[] }[] = [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro'] },
    ];
    for (const top of ['bin', 'sbin', 'lib', 'lib64']) {
      const host = `/${top}`;
      if (!existsSync(host)) continue;
      if (lstatSync(host).isSymbolicLink()) symlinkSync(readlinkSync(host), path.join(rootfs, top));
      else mounts.push({ destination: host, type: 'bind', source: host, options: ['rbind', 'ro'] });
    }
    const config = {
      ociVersion: '1.0.2-dev',
      process: {
        terminal: false,
        user: { uid: 0, gid: 0 },
        args: ['/bin/true'],
        env: ['PATH=/bin:/usr/bin'],
        cwd: '/',
      },
      root: { path: rootfs, readonly: false },
      hostname: 'probe',
      mounts,
      linux: {
        namespaces: [{ type: 'mount' }, { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }],
        cgroupsPath: `/berth/${id}`,
        resources: { pids: { limit: 10 } },
      },
    };
    writeFileSync(path.join(dir, 'bundle', 'config.json'), JSON.stringify(config));
    const r = spawnSync(
      bin,
      [`--root=${path.join(dir, 'root')}`, 'run', '--bundle', path.join(dir, 'bundle'), id],
      {
        stdio: 'ignore',
        timeout: 10_000,
      },
    );
    const ok = r.status === 0;
    if (!ok)
      spawnSync(bin, [`--root=${path.join(dir, 'root')}`, 'delete', '--force', id], { stdio: 'ignore' });
    probed.set(bin, ok);
    return ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** cgroup v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified. */
export function isCgroupHybrid(): boolean {
  return !isCgroup2Only() && existsSync(path.join(CGROUP_ROOT, 'unified', 'cgroup.controllers'));
}
