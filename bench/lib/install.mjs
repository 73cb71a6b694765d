// Installs what the bench needs from Debian when it is missing, without
// letting the packages start their services (a policy-rc.d that refuses,
// present only for the duration of the install).
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { run } from './proc.mjs';

/** binary → Debian package */
export const NEEDS = {
  '/usr/sbin/dockerd': 'docker.io',
  '/usr/bin/containerd': 'containerd',
  '/usr/sbin/runc': 'runc',
  '/usr/bin/conmon': 'conmon',
  '/bin/busybox': 'busybox-static',
  '/usr/bin/docker-registry': 'docker-registry',
  '/usr/bin/docker-compose': 'docker-compose',
};

export function missingPackages() {
  return [
    ...new Set(
      Object.entries(NEEDS)
        .filter(([bin]) => !existsSync(bin))
        .map(([, pkg]) => pkg),
    ),
  ];
}

export function ensurePackages(log) {
  const missing = missingPackages();
  if (missing.length === 0) return [];
  log(`installing ${missing.join(' ')} …`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
      env,
      timeoutMs: 900_000,
    });
    if (r.code !== 0) {
      run('apt-get', ['update'], { env, timeoutMs: 600_000 });
      r = run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
        env,
        timeoutMs: 900_000,
      });
    }
    if (r.code !== 0)
      throw new Error(`apt-get install ${missing.join(' ')} failed: ${r.stderr.trim().slice(-500)}`);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  return missing;
}
