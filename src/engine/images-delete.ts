// `DELETE /images/{name}` and `POST /images/prune` with Docker's rules:
// by name untags (and deletes when it was the last reference); by ID
// deletes, untagging first when the references allow it; running
// containers are a hard conflict, stopped ones and several references
// soft ones that `force` overrides.
import { Conflict } from '../api/errors.js';
import type { Filters } from '../api/query.js';
import { checkFilterKeys } from '../api/query.js';
import { shortId } from '../image/digest.js';
import { familiar, parseReference, repoName } from '../image/reference.js';
import type { ImageService } from './images.js';
import { parseUntil } from './images-view.js';

export type DeleteRecord = { Untagged: string } | { Deleted: string };

function conflict(id: string, hard: boolean, message: string): Conflict {
  return new Conflict(
    `conflict: unable to delete ${shortId(id)} (${hard ? 'cannot' : 'must'} be forced) - ${message}`,
  );
}

function isIdPrefix(id: string, given: string): boolean {
  return id.startsWith(given) || id.slice('sha256:'.length).startsWith(given);
}

/** One tag at most, and every reference in one repository (Docker's isSingleReference). */
function isSingleReference(refs: string[]): boolean {
  const tags = refs.filter((r) => !r.includes('@'));
  if (tags.length > 1) return false;
  return new Set(refs.map((r) => repoName(parseReference(r)))).size <= 1;
}

interface Mask {
  running: boolean;
  stopped: boolean;
  references: boolean;
}

export class ImageDeleter {
  constructor(private readonly images: ImageService) {}

  private check(id: string, mask: Mask): Conflict | null {
    const { records } = this.images;
    if (records.children(id).length > 0) return conflict(id, true, 'image has dependent child images');
    const use = this.images.isImageInUse(id);
    if (use?.running && mask.running)
      return conflict(id, true, `image is being used by running container ${shortId(use.containerId)}`);
    if (use && !use.running && mask.stopped)
      return conflict(id, false, `image is being used by stopped container ${shortId(use.containerId)}`);
    if (mask.references && records.refs(id).length > 1)
      return conflict(id, false, 'image is referenced in multiple repositories');
    return null;
  }

  private untag(id: string, ref: string, out: DeleteRecord[]): void {
    this.images.records.deleteRef(ref);
    this.images.publish(id, 'untag', id);
    out.push({ Untagged: familiar(ref) });
  }

  async delete(nameOrId: string, force: boolean, prune: boolean): Promise<DeleteRecord[]> {
    const { records } = this.images;
    const { image, ref } = records.lookup(nameOrId);
    const id = image.id;
    const out: DeleteRecord[] = [];
    let quiet = false;
    if (ref && !isIdPrefix(id, nameOrId)) {
      const refs = records.refs(id);
      const use = this.images.isImageInUse(id);
      if (!force && use && refs.length === 1)
        throw new Conflict(
          `conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${shortId(use.containerId)} is using its referenced image ${shortId(id)}`,
        );
      this.untag(id, ref, out);
      // The last tag of a repository removed: its digests of this image go too
      // (whatever other repositories still hold it), as dockerd does.
      const repo = repoName(parseReference(ref));
      const sameRepo = (r: string): boolean => repoName(parseReference(r)) === repo;
      if (!ref.includes('@') && !records.refs(id).some((r) => !r.includes('@') && sameRepo(r)))
        for (const r of records.refs(id)) if (r.includes('@') && sameRepo(r)) this.untag(id, r, out);
      if (records.refs(id).length > 0) return out;
      quiet = true;
    } else if (isSingleReference(records.refs(id))) {
      const c = this.check(id, { running: true, stopped: !force, references: false });
      if (c) throw c;
      for (const r of records.refs(id)) this.untag(id, r, out);
    }
    await this.deleteHelper(id, force, prune, quiet, out);
    return out;
  }

  private async deleteHelper(
    id: string,
    force: boolean,
    prune: boolean,
    quiet: boolean,
    out: DeleteRecord[],
  ): Promise<void> {
    const { records } = this.images;
    const c = this.check(id, { running: true, stopped: !force, references: !force });
    if (c) {
      // After removing the last tag by name, a used image stays (dangling).
      if (quiet) return;
      throw c;
    }
    const img = records.get(id)!;
    for (const r of records.refs(id)) this.untag(id, r, out);
    records.delete(id);
    this.images.publish(img, 'delete', id);
    out.push({ Deleted: id });
    for (const layer of await this.images.layers.release(img.topLayer, this.images.layerHeld()))
      out.push({ Deleted: layer });
    if (prune && img.parent && records.get(img.parent) && records.refs(img.parent).length === 0)
      await this.deleteHelper(img.parent, false, true, true, out).catch(() => undefined);
  }

  /** `POST /images/prune`: dangling images by default; `dangling=false` means all unused. */
  async prune(filters: Filters): Promise<{ ImagesDeleted: DeleteRecord[] | null; SpaceReclaimed: number }> {
    checkFilterKeys(filters, ['dangling', 'until', 'label', 'label!']);
    const danglingOnly = !(filters.get('dangling') ?? []).some((v) =>
      ['false', '0'].includes(v.toLowerCase()),
    );
    const until = filters.get('until')?.map((u) => parseUntil(u));
    const labels = filters.get('label') ?? [];
    const notLabels = filters.get('label!') ?? [];
    const has = (l: Record<string, string>, w: string): boolean => {
      const eq = w.indexOf('=');
      return eq === -1 ? w in l : l[w.slice(0, eq)] === w.slice(eq + 1);
    };
    const deleted: DeleteRecord[] = [];
    let reclaimed = 0;
    const layersBefore = new Map<string, number>();
    for (const img of this.images.records.all()) {
      if (!this.images.records.get(img.id)) continue; // removed as a parent meanwhile
      const refs = this.images.records.refs(img.id);
      if (danglingOnly && refs.length > 0) continue;
      if (this.images.isImageInUse(img.id)) continue;
      if (this.images.records.children(img.id).length > 0) continue;
      const created = Date.parse(img.created);
      if (until && !until.every((u) => created < u)) continue;
      const l = (img.config.config?.Labels ?? {}) as Record<string, string>;
      if (!labels.every((w) => has(l, w)) || notLabels.some((w) => has(l, w))) continue;
      for (const layer of this.images.layers.chain(img.topLayer)) layersBefore.set(layer.chainId, layer.size);
      try {
        const recs = await this.delete(img.id, refs.length > 0, false);
        deleted.push(...recs);
      } catch (e) {
        if (!(e instanceof Conflict)) throw e;
      }
    }
    // Layers left by containers removed after their image was force-deleted.
    const orphanSizes = new Map(this.images.layers.all().map((l) => [l.chainId, l.size]));
    for (const c of await this.images.releaseUnusedLayers()) {
      deleted.push({ Deleted: c });
      reclaimed += orphanSizes.get(c) ?? 0;
    }
    for (const d of deleted)
      if ('Deleted' in d && layersBefore.has(d.Deleted)) reclaimed += layersBefore.get(d.Deleted)!;
    if (deleted.length) this.images.events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}
