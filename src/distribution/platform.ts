// Platforms (`linux/arm64/v8`) and the choice of one manifest from an index,
// as containerd's default matcher does for Docker: os and architecture must
// match; a variant, when asked for, must match too.
import { goArch } from '../image/config.js';
import type { Descriptor } from '../image/archive.js';
import { InvalidArgument } from '../api/errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function hostPlatform(): Platform {
  return { os: 'linux', architecture: goArch() };
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  armhf: 'arm',
  i386: '386',
};

/** `linux/arm64/v8`, `linux/amd64`, `arm64` (os defaults to linux). */
export function parsePlatform(s: string | undefined): Platform | undefined {
  if (!s) return undefined;
  const parts = s.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p)))
    throw new InvalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  // Two parts are os/arch when the first is an OS, else arch/variant (containerd's rule).
  const knownOs = ['linux', 'windows', 'darwin', 'freebsd', 'netbsd', 'openbsd', 'solaris', 'illumos', 'aix'];
  const [os, rawArch, rawVariant] =
    parts.length === 1
      ? ['linux', parts[0]]
      : parts.length === 2 && !knownOs.includes(parts[0])
        ? ['linux', ...parts]
        : parts;
  let variant = rawVariant;
  const arch = ARCH_ALIASES[rawArch] ?? rawArch;
  if (arch === 'arm64' && variant === 'v8') variant = '';
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function isAttestation(d: Descriptor): boolean {
  return (
    d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || d.platform?.os === 'unknown'
  );
}

/** The entry of an index for `want`, or undefined. */
export function pickManifest(entries: Descriptor[], want: Platform): Descriptor | undefined {
  const candidates = entries.filter((d) => !isAttestation(d) && d.platform);
  const match = (d: Descriptor, variant: boolean): boolean =>
    d.platform!.os === want.os &&
    (ARCH_ALIASES[d.platform!.architecture] ?? d.platform!.architecture) === want.architecture &&
    (!variant || !want.variant || (d.platform!.variant ?? '') === want.variant);
  return candidates.find((d) => match(d, true));
}
