// Facts about the host that `/info` and `/version` report, read once.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface HostFacts {
  kernel: string;
  operatingSystem: string;
  osVersion: string;
  arch: string; // Go-style: amd64, arm64
  cgroupVersion: '1' | '2';
  ncpu: number;
  memTotal: number;
  hostname: string;
}

export function goArch(arch = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const line of readFileSync('/etc/os-release', 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
    }
  } catch {
    /* not every host has it */
  }
  return out;
}

export function hostFacts(): HostFacts {
  const rel = osRelease();
  return {
    kernel: os.release(),
    operatingSystem: rel.PRETTY_NAME ?? os.type(),
    osVersion: rel.VERSION_ID ?? '',
    arch: goArch(),
    // A pure v2 host has cgroup.controllers at the root; hybrid hosts keep v1 there.
    cgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
    hostname: os.hostname(),
  };
}

const versions = new Map<string, { version: string; commit: string } | null>();

/** `runc --version` → { version, commit }, or null when the binary is missing; asked once. */
export function runtimeVersion(binary: string): { version: string; commit: string } | null {
  if (!versions.has(binary)) versions.set(binary, askVersion(binary));
  return versions.get(binary)!;
}

function askVersion(binary: string): { version: string; commit: string } | null {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000 });
    const version = /version\s+(\S+)/.exec(out)?.[1] ?? 'unknown';
    const commit = /commit:\s*(\S+)/.exec(out)?.[1] ?? version;
    return { version, commit };
  } catch {
    return null;
  }
}
