// Choosing the OCI runtime binary. runc is the default; crun is used only
// when asked for or when it works on this cgroup layout: crun (1.8) refuses
// the v1+v2 hybrid layout, so it is only auto-picked on a pure cgroup v2 host.
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgument } from '../api/errors.js';
import { isCgroup2Only } from './cgroups.js';

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
  if (crun && isCgroup2Only()) return { name: 'crun', path: crun };
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
