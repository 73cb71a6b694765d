// The volume service: create, inspect, list with filters, remove (refused
// while a container uses the volume), prune; and the anonymous volumes
// containers create for `-v /path` and image VOLUMEs.
import { randomBytes } from 'node:crypto';
import { Conflict, InvalidArgument, NotFound } from '../api/errors.js';
import { checkFilterKeys, type Filters } from '../api/query.js';
import { duBytes } from './containers.js';
import type { EventBus } from './events.js';
import { ANONYMOUS_LABEL, LocalVolumes, VOLUME_NAME, type VolumeRecord } from '../volume/local.js';

export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export class VolumeService {
  /** Containers (IDs) that reference a volume; the daemon wires it to the container store. */
  usedBy: (name: string) => string[] = () => [];

  constructor(
    readonly local: LocalVolumes,
    private readonly events: EventBus,
  ) {}

  json(v: VolumeRecord, usage?: { size: number; refs: number }): Record<string, unknown> {
    const out: Record<string, unknown> = {
      CreatedAt: v.created,
      Driver: v.driver,
      Labels: v.labels,
      Mountpoint: this.local.mountpoint(v.name),
      Name: v.name,
      Options: v.options,
      Scope: 'local',
    };
    if (usage) out.UsageData = { Size: usage.size, RefCount: usage.refs };
    return out;
  }

  /** Every volume with UsageData (size of its data, containers using it), as `/system/df` shows them. */
  async withUsage(): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const v of this.local.all())
      out.push(
        this.json(v, {
          size: await duBytes(this.local.mountpoint(v.name)),
          refs: this.usedBy(v.name).length,
        }),
      );
    return out;
  }

  get(name: string): VolumeRecord {
    const v = this.local.get(name);
    if (!v) throw new NotFound(`get ${name}: no such volume`);
    return v;
  }

  create(req: CreateVolumeRequest): VolumeRecord {
    const name = req.Name || randomBytes(32).toString('hex');
    const driver = req.Driver || 'local';
    if (!VOLUME_NAME.test(name))
      throw new InvalidArgument(
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    if (driver !== 'local')
      throw new NotFound(
        `create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`,
      );
    const existing = this.local.get(name);
    if (existing) return existing;
    const v: VolumeRecord = {
      name,
      driver,
      created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      labels: req.Labels ?? null,
      options: req.DriverOpts ?? null,
    };
    this.local.create(v);
    this.events.publish('volume', 'create', name, { driver });
    return v;
  }

  /** A new anonymous volume for a container path (Docker 23+ labels it so prune finds it). */
  createAnonymous(): VolumeRecord {
    return this.create({ Labels: { [ANONYMOUS_LABEL]: '' } });
  }

  list(filters: Filters): { Volumes: Record<string, unknown>[]; Warnings: null } {
    checkFilterKeys(filters, ['dangling', 'name', 'label', 'driver']);
    const dangling = filters.get('dangling')?.[0];
    if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling))
      throw new InvalidArgument(`invalid filter 'dangling=${dangling}'`);
    const names = filters.get('name') ?? [];
    const drivers = filters.get('driver') ?? [];
    const labels = filters.get('label') ?? [];
    const out = this.local.all().filter((v) => {
      if (
        dangling !== undefined &&
        (this.usedBy(v.name).length === 0) !== (dangling === 'true' || dangling === '1')
      )
        return false;
      if (names.length && !names.some((n) => v.name.includes(n))) return false;
      if (drivers.length && !drivers.includes(v.driver)) return false;
      return labels.every((l) => hasLabel(v, l));
    });
    return { Volumes: out.map((v) => this.json(v)), Warnings: null };
  }

  async remove(name: string, force: boolean): Promise<void> {
    const v = this.local.get(name);
    if (!v) {
      if (force) return;
      throw new NotFound(`get ${name}: no such volume`);
    }
    const users = this.usedBy(name);
    if (users.length) throw new Conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    await this.local.remove(v);
    this.events.publish('volume', 'destroy', name, { driver: v.driver });
  }

  /** Unused volumes: anonymous ones only unless `all=true` (Docker 23+), then label filters. */
  async prune(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    checkFilterKeys(filters, ['label', 'label!', 'all']);
    const all = ['true', '1'].includes(filters.get('all')?.[0] ?? '');
    const labels = filters.get('label') ?? [];
    const notLabels = filters.get('label!') ?? [];
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.local.all()) {
      if (!all && !(v.labels && ANONYMOUS_LABEL in v.labels)) continue;
      if (!labels.every((l) => hasLabel(v, l)) || notLabels.some((l) => hasLabel(v, l))) continue;
      if (this.usedBy(v.name).length) continue;
      const size = await duBytes(this.local.mountpoint(v.name));
      await this.local.remove(v);
      this.events.publish('volume', 'destroy', v.name, { driver: v.driver });
      deleted.push(v.name);
      reclaimed += size;
    }
    this.events.publish('volume', 'prune', '', { reclaimed: String(reclaimed) });
    return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}

function hasLabel(v: VolumeRecord, filter: string): boolean {
  const labels = v.labels ?? {};
  const eq = filter.indexOf('=');
  return eq < 0 ? filter in labels : labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
