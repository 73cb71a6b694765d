// Turns a container's mount requests — `-v` binds, `--mount` entries,
// image/anonymous VOLUMEs and `--volumes-from` — into mount points with
// Docker's inspect fields (Type, Name, Source, Destination, Driver, Mode, RW,
// Propagation). Pure: the engine creates the volumes it names.
import path from 'node:path';
import { InvalidArgument } from '../api/errors.js';

export interface MountPoint {
  Type: 'volume' | 'bind' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Fill a new empty volume from the image (false for `nocopy`). */
  copyData?: boolean;
  /** Created for this container (`-v /path`, image VOLUME): `rm -v` removes it. */
  anonymous?: boolean;
  /** tmpfs mount options (size, mode). */
  tmpfsOptions?: string[];
  /** A volume subpath (--mount volume-subpath). */
  subpath?: string;
}

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const MODE_WORDS = ['ro', 'rw', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', ...PROPAGATIONS];

/** Go's filepath.Clean for absolute paths: no `.`/`..`, no trailing slash. */
const cleanPath = (p: string): string => path.posix.normalize(p).replace(/(.)\/+$/, '$1');

const spec = (raw: string): InvalidArgument => new InvalidArgument(`invalid volume specification: '${raw}'`);

function checkTarget(dst: string, raw: string): string {
  if (!dst.startsWith('/'))
    throw new InvalidArgument(
      `invalid volume specification: '${raw}': invalid mount config for type "volume": invalid mount path: '${dst}' mount path must be absolute`,
    );
  if (dst === '/')
    throw new InvalidArgument(
      `invalid volume specification: '${raw}': invalid mount config for type "bind": invalid specification: destination can't be '/'`,
    );
  return path.posix.normalize(dst).replace(/(.)\/$/, '$1');
}

/** One `-v` / Binds entry: `src:dst[:mode]`; an absolute src is a bind, anything else a volume name. */
export function parseBind(raw: string): MountPoint {
  const parts = raw.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) throw spec(raw);
  const [src, dstRaw, mode = ''] = parts;
  const words = mode ? mode.split(',') : [];
  for (const w of words) if (!MODE_WORDS.includes(w)) throw new InvalidArgument(`invalid mode: ${mode}`);
  const dst = checkTarget(dstRaw, raw);
  const rw = !words.includes('ro');
  if (src.startsWith('/')) {
    return {
      Type: 'bind',
      Source: cleanPath(src),
      Destination: dst,
      Mode: mode,
      RW: rw,
      Propagation: words.find((w) => PROPAGATIONS.includes(w)) ?? 'rprivate',
    };
  }
  return {
    Type: 'volume',
    Name: src,
    Source: '',
    Destination: dst,
    Driver: 'local',
    // dockerd sets "z" on a local named volume given without a mode.
    Mode: mode || 'z',
    RW: rw,
    Propagation: '',
    copyData: !words.includes('nocopy'),
  };
}

/** One HostConfig.Mounts entry (`--mount`). */
export function parseMount(m: Record<string, any>): MountPoint {
  const type = String(m.Type ?? '').toLowerCase();
  const target = m.Target as string | undefined;
  if (!target) throw new InvalidArgument('invalid mount config: Target must not be empty');
  const dst = checkTarget(target, target);
  const ro = !!m.ReadOnly;
  switch (type) {
    case 'bind': {
      const src = m.Source as string | undefined;
      if (!src)
        throw new InvalidArgument(`invalid mount config for type "bind": field Source must not be empty`);
      if (!src.startsWith('/'))
        throw new InvalidArgument(
          `invalid mount config for type "bind": invalid mount path: '${src}' mount path must be absolute`,
        );
      return {
        Type: 'bind',
        Source: cleanPath(src),
        Destination: dst,
        Mode: '',
        RW: !ro,
        Propagation: m.BindOptions?.Propagation || 'rprivate',
      };
    }
    case 'volume':
      return {
        Type: 'volume',
        Name: m.Source || undefined,
        Source: '',
        Destination: dst,
        Driver: m.VolumeOptions?.DriverConfig?.Name || 'local',
        Mode: '',
        RW: !ro,
        Propagation: '',
        copyData: !m.VolumeOptions?.NoCopy,
        subpath: m.VolumeOptions?.Subpath || undefined,
      };
    case 'tmpfs': {
      if (m.Source)
        throw new InvalidArgument(
          `invalid mount config for type "tmpfs": field Source must not be specified`,
        );
      const o = m.TmpfsOptions ?? {};
      const opts: string[] = [];
      if (o.SizeBytes) opts.push(`size=${Math.floor(o.SizeBytes / 1024)}k`);
      if (o.Mode) opts.push(`mode=${Number(o.Mode).toString(8)}`);
      return {
        Type: 'tmpfs',
        Source: '',
        Destination: dst,
        Mode: '',
        RW: !ro,
        Propagation: '',
        tmpfsOptions: opts,
      };
    }
    default:
      throw new InvalidArgument(`invalid mount config for type "${m.Type}": mount type unknown`);
  }
}

/** An anonymous volume at `dst` (`-v /path`, image VOLUME). */
export function anonymousAt(dst: string): MountPoint {
  return {
    Type: 'volume',
    Source: '',
    Destination: checkTarget(dst, dst),
    Driver: 'local',
    Mode: '',
    RW: true,
    Propagation: '',
    copyData: true,
    anonymous: true,
  };
}

/** `--volumes-from c[:ro|rw]`: the other container's mount points, with the mode overridden when given. */
export function inherit(from: MountPoint[], mode: string): MountPoint[] {
  if (mode && mode !== 'ro' && mode !== 'rw') throw new InvalidArgument(`invalid mode: ${mode}`);
  return from.map((m) => ({
    ...m,
    anonymous: false,
    copyData: false,
    RW: mode ? mode === 'rw' && m.RW !== false : m.RW,
    Mode: mode || m.Mode,
  }));
}

/**
 * All mount points of a container, later sources winning per destination as
 * in dockerd: volumes-from, then image/anonymous VOLUMEs, then Binds, then Mounts.
 */
export function planMounts(input: {
  binds: string[];
  mounts: Record<string, any>[];
  volumes: string[];
  volumesFrom: MountPoint[];
  tmpfs: string[];
}): MountPoint[] {
  const byDest = new Map<string, MountPoint>();
  for (const m of input.volumesFrom) byDest.set(m.Destination, m);
  for (const v of input.volumes) {
    const d = checkTarget(v, v);
    if (!byDest.has(d) && !input.tmpfs.includes(d)) byDest.set(d, anonymousAt(d));
  }
  const explicit = new Set<string>();
  const add = (m: MountPoint): void => {
    if (explicit.has(m.Destination)) throw new InvalidArgument(`Duplicate mount point: ${m.Destination}`);
    explicit.add(m.Destination);
    byDest.set(m.Destination, m);
  };
  for (const b of input.binds) add(parseBind(b));
  for (const m of input.mounts) add(parseMount(m));
  return [...byDest.values()].sort((a, b) => a.Destination.localeCompare(b.Destination));
}

/** Inspect's `Mounts` entry: Docker's fields in Docker's order. */
export function mountJson(m: MountPoint): Record<string, unknown> {
  if (m.Type === 'volume')
    return {
      Type: 'volume',
      Name: m.Name,
      Source: m.Source,
      Destination: m.Destination,
      Driver: m.Driver,
      Mode: m.Mode,
      RW: m.RW,
      Propagation: m.Propagation,
    };
  return {
    Type: m.Type,
    Source: m.Source,
    Destination: m.Destination,
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  };
}
