// The `local` volume driver: a directory volumes/<name>/_data under the data
// root, or — with driver options type/device/o, like Docker's local driver —
// a filesystem mounted there while containers use it. Records live in the
// `volumes` table (one row per volume, written in one statement).
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgument } from '../api/errors.js';
import { isMountPoint, unmount } from '../runtime/rootfs.js';
import type { DB } from '../store/db.js';
import { ensureDir } from '../util/fsx.js';

const run = promisify(execFile);

/** Docker's label on volumes created for `-v /path` and image VOLUMEs. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const DRIVER_OPTS = ['type', 'device', 'o', 'size'];

export interface VolumeRecord {
  name: string;
  driver: string;
  created: string;
  labels: Record<string, string> | null;
  options: Record<string, string> | null;
}

interface Row {
  name: string;
  driver: string;
  created: string;
  labels: string | null;
  options: string | null;
}

const fromRow = (r: Row): VolumeRecord => ({
  name: r.name,
  driver: r.driver,
  created: r.created,
  labels: r.labels ? JSON.parse(r.labels) : null,
  options: r.options ? JSON.parse(r.options) : null,
});

export class LocalVolumes {
  readonly root: string;

  constructor(
    private readonly db: DB,
    dataRoot: string,
  ) {
    this.root = ensureDir(path.join(dataRoot, 'volumes'), 0o701);
  }

  dir(name: string): string {
    return path.join(this.root, name);
  }

  mountpoint(name: string): string {
    return path.join(this.root, name, '_data');
  }

  get(name: string): VolumeRecord | null {
    const r = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  all(): VolumeRecord[] {
    return (this.db.prepare('SELECT * FROM volumes ORDER BY name').all() as Row[]).map(fromRow);
  }

  /** Creates the data dir, then the row: a crash in between leaves a dir that create reuses. */
  create(v: VolumeRecord): void {
    for (const k of Object.keys(v.options ?? {}))
      if (!DRIVER_OPTS.includes(k)) throw new InvalidArgument(`invalid option key: "${k}"`);
    const o = v.options ?? {};
    if (o.type && !o.device && o.type !== 'tmpfs')
      throw new InvalidArgument('missing required option: "device"');
    if (o.device && !o.type) throw new InvalidArgument('missing required option: "type"');
    ensureDir(this.dir(v.name), 0o701);
    ensureDir(this.mountpoint(v.name), 0o755);
    this.db
      .prepare('INSERT INTO volumes (name, driver, created, labels, options) VALUES (?, ?, ?, ?, ?)')
      .run(
        v.name,
        v.driver,
        v.created,
        v.labels ? JSON.stringify(v.labels) : null,
        v.options ? JSON.stringify(v.options) : null,
      );
  }

  /** Mounts a volume with type/device options before a container uses it (idempotent). */
  async activate(v: VolumeRecord): Promise<void> {
    const o = v.options ?? {};
    if (!o.type) return;
    const target = this.mountpoint(v.name);
    if (isMountPoint(target)) return;
    const opts = [o.o, o.size && o.type === 'tmpfs' ? `size=${o.size}` : ''].filter(Boolean).join(',');
    const args = ['-t', o.type, ...(opts ? ['-o', opts] : []), o.device || o.type, target];
    try {
      await run('mount', args);
    } catch (e) {
      const msg = ((e as { stderr?: string }).stderr || (e as Error).message).trim();
      throw new InvalidArgument(
        `error while mounting volume '${target}': failed to mount local volume: ${msg}`,
      );
    }
  }

  async deactivate(v: VolumeRecord): Promise<void> {
    if (v.options?.type) await unmount(this.mountpoint(v.name));
  }

  /** Unmounts, removes the row, then the data (a crash leaves only an orphan dir). */
  async remove(v: VolumeRecord): Promise<void> {
    await this.deactivate(v);
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(v.name);
    await fs.rm(this.dir(v.name), { recursive: true, force: true });
  }
}
