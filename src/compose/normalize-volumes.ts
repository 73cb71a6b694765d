// Service volumes in short syntax (`./data:/data:ro`, `named:/x`, `/anon`) and
// long syntax, in Compose's long form with bind sources made absolute.
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { ComposeError, type ServiceVolume } from './model.js';

const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const CONSISTENCY = new Set(['cached', 'delegated', 'consistent']);

/** `~` and relative host paths, resolved against `baseDir`. */
export function resolveHostPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(process.env.HOME || homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function isHostPath(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~');
}

export function normalizeServiceVolumes(service: string, raw: unknown, baseDir: string): ServiceVolume[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ComposeError(`services.${service}.volumes must be a list`);
  return raw.map((v) =>
    typeof v === 'string' ? parseVolumeSpec(v, baseDir) : longVolume(v as Record<string, unknown>, baseDir),
  );
}

export function parseVolumeSpec(spec: string, baseDir: string): ServiceVolume {
  const parts = spec.split(':');
  if (parts.length === 1) return order({ type: 'volume', target: spec, volume: {} });
  if (parts.length > 3 || parts.some((p) => p === ''))
    throw new ComposeError(`invalid spec: ${spec}: too many colons`);
  const [source, target, modes] = parts as [string, string, string | undefined];
  const vol: ServiceVolume = isHostPath(source)
    ? { type: 'bind', source: resolveHostPath(source, baseDir), target }
    : { type: 'volume', source, target };
  for (const mode of (modes ?? '').split(',').filter(Boolean)) {
    if (mode === 'ro') vol.read_only = true;
    else if (mode === 'rw') vol.read_only = false;
    else if (mode === 'z' || mode === 'Z') vol.bind = { ...vol.bind, selinux: mode };
    else if (mode === 'nocopy') vol.volume = { ...vol.volume, nocopy: true };
    else if (PROPAGATION.has(mode)) vol.bind = { ...vol.bind, propagation: mode };
    else if (CONSISTENCY.has(mode)) vol.consistency = mode;
    else throw new ComposeError(`invalid spec: ${spec}: unknown option: ${mode}`);
  }
  if (vol.read_only === false) delete vol.read_only;
  if (vol.type === 'bind') vol.bind = { ...vol.bind, create_host_path: true };
  else vol.volume = vol.volume ?? {};
  return order(vol);
}

function longVolume(v: Record<string, unknown>, baseDir: string): ServiceVolume {
  const vol = { ...v } as unknown as ServiceVolume;
  if (vol.type === 'bind' && typeof vol.source === 'string')
    vol.source = resolveHostPath(vol.source, baseDir);
  return order(vol);
}

/** Compose prints a volume's keys in this order. */
function order(v: ServiceVolume): ServiceVolume {
  const o: Record<string, unknown> = {};
  const src = v as unknown as Record<string, unknown>;
  for (const k of [
    'type',
    'source',
    'target',
    'read_only',
    'consistency',
    'bind',
    'volume',
    'tmpfs',
    'image',
  ]) {
    if (src[k] !== undefined) o[k] = src[k];
  }
  for (const [k, val] of Object.entries(src)) if (!(k in o) && val !== undefined) o[k] = val;
  if (o.bind && typeof o.bind === 'object') {
    const b = o.bind as Record<string, unknown>;
    o.bind = Object.fromEntries(
      ['propagation', 'create_host_path', 'selinux'].filter((k) => b[k] !== undefined).map((k) => [k, b[k]]),
    );
  }
  return o as unknown as ServiceVolume;
}
