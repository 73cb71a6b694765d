// A container's mounts over its life: planned at create (volumes named or
// made anonymous, bind sources checked), filled at start (activate driver
// mounts, copy image content into new empty volumes), turned into runtime
// mounts, and released at removal (`rm -v`, `--rm` drop anonymous volumes).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, promises as fs, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgument } from '../api/errors.js';
import type { ContainerRunSpec } from '../runtime/types.js';
import { inherit, parseBind, planMounts, type MountPoint } from '../volume/mounts.js';
import { resolveInRoot } from '../volume/scope.js';
import type { Config, ContainerRecord, HostConfig } from './containers-model.js';
import type { VolumeService } from './volumes.js';

const run = promisify(execFile);

export interface ContainerLookup {
  find(ref: string): ContainerRecord;
  all(): ContainerRecord[];
}

export class ContainerMounts {
  constructor(
    private readonly volumes: VolumeService,
    private readonly containers: ContainerLookup,
  ) {}

  /** Mount points for a new container; creates the volumes it names (as dockerd does at create). */
  plan(config: Config, h: HostConfig): MountPoint[] {
    const from: MountPoint[] = [];
    for (const spec of (h.VolumesFrom ?? []) as string[]) {
      const [ref, mode = ''] = spec.split(':');
      from.push(...inherit(this.containers.find(ref).mounts ?? [], mode));
    }
    const mounts = planMounts({
      binds: (h.Binds ?? []) as string[],
      mounts: (h.Mounts ?? []) as Record<string, any>[],
      volumes: Object.keys(config.Volumes ?? {}),
      volumesFrom: from,
      tmpfs: Object.keys(h.Tmpfs ?? {}),
    });
    const fromMount = new Set(((h.Mounts ?? []) as { Target?: string }[]).map((m) => m.Target));
    for (const m of mounts) {
      if (m.Type === 'bind') {
        if (!existsSync(m.Source)) {
          if (fromMount.has(m.Destination))
            throw new InvalidArgument(
              `invalid mount config for type "bind": bind source path does not exist: ${m.Source}`,
            );
          mkdirSync(m.Source, { recursive: true, mode: 0o755 }); // `-v` creates a missing host dir, like Docker
        }
      } else if (m.Type === 'volume') {
        if (m.Driver && m.Driver !== 'local')
          throw new InvalidArgument(
            `error looking up volume plugin ${m.Driver}: plugin "${m.Driver}" not found`,
          );
        const v = m.Name ? this.volumes.create({ Name: m.Name }) : this.volumes.createAnonymous();
        if (!m.Name) m.anonymous = true;
        m.Name = v.name;
        m.Source = this.volumes.local.mountpoint(v.name);
      }
    }
    return mounts;
  }

  /** Before the process starts: driver mounts up, new empty volumes filled from the image. */
  async prepare(c: ContainerRecord, rootfs: string): Promise<void> {
    for (const m of c.mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const v =
        this.volumes.local.get(m.Name) ??
        this.volumes.create({
          Name: m.Name,
          Labels: m.anonymous ? { 'com.docker.volume.anonymous': '' } : null,
        });
      await this.volumes.local.activate(v);
      if (m.copyData !== false && !m.subpath) await copyUp(rootfs, m.Destination, m.Source);
      if (m.subpath) {
        const sub = path.join(m.Source, await resolveInRoot(m.Source, m.subpath));
        if (!existsSync(sub))
          throw new InvalidArgument(`cannot access path ${sub}: no such file or directory`);
      }
    }
  }

  /** Volume names a container holds. */
  volumeNames(c: ContainerRecord): string[] {
    return (c.mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!);
  }

  usedBy(name: string): string[] {
    return this.containers
      .all()
      .filter((c) => this.volumeNames(c).includes(name))
      .map((c) => c.id);
  }

  /** After removal: anonymous volumes no other container holds go too. */
  async release(c: ContainerRecord): Promise<void> {
    for (const m of c.mounts ?? []) {
      if (!m.anonymous || !m.Name) continue;
      if (this.usedBy(m.Name).some((id) => id !== c.id)) continue;
      await this.volumes.remove(m.Name, true).catch(() => undefined);
    }
  }
}

/** Runtime mounts for a container: its mount points, then `--tmpfs` entries. */
export function runtimeMounts(c: ContainerRecord): ContainerRunSpec['mounts'] {
  const out: ContainerRunSpec['mounts'] = [];
  // Containers created before mounts were planned keep their plain binds.
  const points =
    c.mounts ?? ((c.hostConfig.Binds ?? []) as string[]).filter((b) => b.startsWith('/')).map(parseBind);
  for (const m of points) {
    if (m.Type === 'tmpfs') {
      out.push({
        source: 'tmpfs',
        destination: m.Destination,
        type: 'tmpfs',
        options: ['nosuid', 'nodev', 'noexec', ...(m.tmpfsOptions ?? []), m.RW ? 'rw' : 'ro'],
      });
      continue;
    }
    const source = m.subpath ? path.join(m.Source, m.subpath) : m.Source;
    const opts = ['rbind', m.RW ? 'rw' : 'ro'];
    if (m.Propagation) opts.push(m.Propagation);
    else opts.push('rprivate');
    out.push({ source, destination: m.Destination, type: 'bind', options: opts });
  }
  for (const [dst, o] of Object.entries((c.hostConfig.Tmpfs ?? {}) as Record<string, string>))
    out.push({
      source: 'tmpfs',
      destination: dst,
      type: 'tmpfs',
      options: ['nosuid', 'nodev', 'noexec', ...(o ? o.split(',') : [])],
    });
  return out;
}

/** Docker's copy-up: an empty volume over image content gets that content, owners and modes kept. */
async function copyUp(rootfs: string, dest: string, volumeDir: string): Promise<void> {
  if ((await fs.readdir(volumeDir)).length > 0) return;
  const src = path.join(rootfs, await resolveInRoot(rootfs, dest));
  let st;
  try {
    st = statSync(src);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  await run('cp', ['-a', '--reflink=auto', src + '/.', volumeDir + '/']);
}
