// What changed in a container (diff), its whole filesystem as a tar
// (export), and a new image from its changes (commit): the upper dir becomes
// a layer through the image store, then one transaction makes the image.
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { applyChanges, goArch, type ContainerConfig, type ImageConfig } from '../image/config.js';
import { formatReference, repoTagReference } from '../image/reference.js';
import type { ImageService } from './images.js';
import { withContainerRoot } from './archive-view.js';
import { tarOut } from './archive.js';
import type { ContainerService } from './containers.js';

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2; // modified, added, deleted
}

/** Files the engine itself puts in every container (dockerd keeps these in a hidden init layer). */
const HIDDEN = new Set([
  '/etc/hosts',
  '/etc/hostname',
  '/etc/resolv.conf',
  '/etc/mtab',
  '/.dockerenv',
  '/dev',
  '/proc',
  '/sys',
]);

export interface CommitOptions {
  container: string;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  pause: boolean;
  changes: string[];
  config?: ContainerConfig | null;
}

export class ContainerChanges {
  constructor(
    private readonly containers: ContainerService,
    private readonly images: ImageService,
  ) {}

  /** `docker diff`: A/C/D from the upper dir against the image layers. */
  async diff(ref: string): Promise<Change[] | null> {
    const c = this.containers.find(ref);
    const lowers = c.topLayer ? this.images.lowerDirs(c.topLayer) : [];
    const out: Change[] = [];
    const lowerStat = async (rel: string): Promise<Stats | null> => {
      for (const l of lowers) {
        const st = await fs.lstat(path.join(l, rel)).catch(() => null);
        if (st) return st;
        // A whiteout in a higher layer hides the rest; lowers are already whiteout-free overlay dirs.
      }
      return null;
    };
    const walk = async (dir: string, rel: string, parentNew: boolean): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const r = rel + '/' + e.name;
        if (HIDDEN.has(r)) continue;
        const st = await fs.lstat(path.join(dir, r));
        if (st.isCharacterDevice() && st.rdev === 0) {
          out.push({ Path: r, Kind: 2 });
          continue;
        }
        const old = parentNew ? null : await lowerStat(r);
        // Anything in the upper dir is a change; a directory there was copied up for one below it.
        out.push({ Path: r, Kind: old ? 0 : 1 });
        if (st.isDirectory()) await walk(dir, r, !old);
      }
    };
    await walk(this.containers.paths(c.id).upper, '', false);
    out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
    return out.length ? out : null;
  }

  /** `docker export`: the merged rootfs (without volumes) as a tar. */
  async export(ref: string, open: () => NodeJS.WritableStream): Promise<void> {
    const c = this.containers.find(ref);
    await withContainerRoot(this.containers, c, { withMounts: false }, async (root) => {
      const names = (await fs.readdir(root)).sort();
      await tarOut(root, names, open());
    });
  }

  /** `docker commit`: a new layer from the upper dir, a config from the container's, one image. */
  async commit(o: CommitOptions): Promise<string> {
    const c = this.containers.find(o.container);
    const ref = o.repo
      ? repoTagReference(o.repo, o.tag || undefined, 'refusing to create a tag with a digest reference')
      : null;
    const base = this.images.get(c.imageId).config as ImageConfig;
    const pause = o.pause && c.state.Running && !c.state.Paused;
    if (pause) await this.containers.runtime.pause(c.id);
    let layer;
    try {
      layer = await this.images.registerDiff(this.containers.paths(c.id).upper, c.topLayer);
    } finally {
      if (pause) await this.containers.runtime.resume(c.id).catch(() => undefined);
    }
    const merged = mergeConfig(o.config ?? {}, c.config as unknown as ContainerConfig);
    const config = applyChanges(merged, o.changes);
    const created = new Date().toISOString();
    const history = {
      created,
      ...(o.author ? { author: o.author } : {}),
      created_by: [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(' '),
      ...(o.comment ? { comment: o.comment } : {}),
    };
    const img: ImageConfig = {
      architecture: base.architecture || goArch(),
      ...(o.author ? { author: o.author } : {}),
      ...(o.comment ? { comment: o.comment } : {}),
      config,
      container: c.id,
      created,
      history: [...(base.history ?? []), history],
      os: base.os || 'linux',
      ...(base.variant ? { variant: base.variant } : {}),
      rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), layer.diffId] },
    };
    const id = this.images.createImage(
      JSON.stringify(img),
      layer.chainId,
      ref ? [formatReference(ref)] : [],
      c.imageId,
    );
    this.containers.publish(c, 'commit', {
      comment: o.comment ?? '',
      imageID: id,
      imageRef: ref ? formatReference(ref) : '',
    });
    return id;
  }
}

/** dockerd's commit merge: fields the request leaves empty come from the container's config. */
function mergeConfig(user: ContainerConfig, container: ContainerConfig): ContainerConfig {
  const out: ContainerConfig = {
    ...container,
    ...Object.fromEntries(Object.entries(user).filter(([, v]) => v !== undefined && v !== null && v !== '')),
  };
  if (user.Env && container.Env) {
    const keys = new Set(user.Env.map((e) => e.split('=')[0]));
    out.Env = [...container.Env.filter((e) => !keys.has(e.split('=')[0])), ...user.Env];
  }
  if (user.Labels || container.Labels) out.Labels = { ...(container.Labels ?? {}), ...(user.Labels ?? {}) };
  return out;
}
