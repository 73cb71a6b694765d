// `POST /images/create?fromSrc=-`: a root filesystem tar (any compression)
// becomes a one-layer image, with `changes` applied to its config.
import type { Readable } from 'node:stream';
import { applyChanges } from '../image/config.js';
import { formatReference, repoTagReference } from '../image/reference.js';
import { importConfig, type ImageService } from './images.js';

export interface ImportOptions {
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
  /** `fromSrc` as given (`-` for the request body), for the default comment. */
  src: string;
}

export async function importImage(
  images: ImageService,
  source: Readable,
  opts: ImportOptions,
): Promise<string> {
  // Validate everything before reading the body.
  const ref = opts.repo ? repoTagReference(opts.repo, opts.tag) : null;
  const container = applyChanges({}, opts.changes ?? []);
  const layer = await images.registerLayer(source, null);
  const comment = opts.message || `Imported from ${opts.src}`;
  const raw = JSON.stringify(importConfig(layer.diffId, container, comment));
  const id = images.createImage(raw, layer.chainId, ref ? [formatReference(ref)] : []);
  images.publish(id, 'import', id);
  return id;
}
