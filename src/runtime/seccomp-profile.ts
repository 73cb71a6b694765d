// User seccomp profiles (`--security-opt seccomp=<profile.json>`; the docker
// CLI sends the file's content). Docker's format adds conditions the OCI
// format lacks: per-rule `includes`/`excludes` on capabilities and
// architectures, `archMap`, and a single `name` per rule. This resolves them
// for one container, the way dockerd does before handing the profile to runc.
import os from 'node:os';
import { InvalidArgument } from '../api/errors.js';
import type { OciSeccomp } from './seccomp-default.js';

interface DockerCond {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}
interface DockerRule {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
  includes?: DockerCond;
  excludes?: DockerCond;
}
interface DockerProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null;
  syscalls?: DockerRule[] | null;
  flags?: string[];
  listenerPath?: string;
}

const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  riscv64: 'riscv64',
  ppc64: 'ppc64le',
};
const NATIVE_SCMP: Record<string, string> = {
  x64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
  ppc64: 'SCMP_ARCH_PPC64LE',
};

function kernelAtLeast(min: string, release: string): boolean {
  const a = min.split('.').map(Number);
  const b = release.split(/[.-]/).map(Number);
  for (let i = 0; i < 2; i++) {
    if ((b[i] ?? 0) !== (a[i] ?? 0)) return (b[i] ?? 0) > (a[i] ?? 0);
  }
  return true;
}

/** Parses a profile (Docker or OCI shaped) and resolves it for a container holding `caps`. */
export function resolveSeccompProfile(
  json: string,
  caps: string[],
  nodeArch = process.arch,
  kernel = '',
): OciSeccomp {
  let p: DockerProfile;
  try {
    p = JSON.parse(json) as DockerProfile;
  } catch (err) {
    throw new InvalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  if (!p || typeof p.defaultAction !== 'string')
    throw new InvalidArgument('Decoding seccomp profile failed: missing defaultAction');
  const goArch = GO_ARCH[nodeArch] ?? 'amd64';
  const native = NATIVE_SCMP[nodeArch] ?? 'SCMP_ARCH_X86_64';
  let architectures = p.architectures ?? [];
  if (architectures.length === 0 && p.archMap) {
    const m = p.archMap.find((a) => a.architecture === native);
    if (m) architectures = [m.architecture, ...(m.subArchitectures ?? [])];
  }
  const release = kernel || os.release();
  const matches = (c: DockerCond | undefined, include: boolean): boolean => {
    if (!c) return true;
    const capOk =
      !c.caps?.length ||
      (include ? c.caps.every((x) => caps.includes(x)) : !c.caps.some((x) => caps.includes(x)));
    const archOk = !c.arches?.length || (include ? c.arches.includes(goArch) : !c.arches.includes(goArch));
    const kernOk = !c.minKernel || !release || (include ? kernelAtLeast(c.minKernel, release) : true);
    return capOk && archOk && kernOk;
  };
  const syscalls: OciSeccomp['syscalls'] = [];
  for (const r of p.syscalls ?? []) {
    if (!matches(r.includes, true) || !matches(r.excludes, false)) continue;
    const names = r.names?.length ? r.names : r.name ? [r.name] : [];
    if (names.length === 0) continue;
    const entry: OciSeccomp['syscalls'][number] = { names, action: r.action };
    if (r.errnoRet !== undefined) entry.errnoRet = r.errnoRet;
    if (r.args?.length) entry.args = r.args as OciSeccomp['syscalls'][number]['args'];
    syscalls.push(entry);
  }
  const out: OciSeccomp = { defaultAction: p.defaultAction, architectures, syscalls };
  if (p.defaultErrnoRet !== undefined) out.defaultErrnoRet = p.defaultErrnoRet;
  return out;
}
