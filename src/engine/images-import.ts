// `POST /images/create?fromSrc=`: a root filesystem tar (any compression),
// from the request body (`-`) or fetched from a URL, becomes a one-layer
// image, with `changes` applied to its config.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { Forbidden, InvalidArgument, NotFound, SystemError, Unauthorized } from '../api/errors.js';
import { Progress, type ProgressSink } from '../distribution/progress.js';
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

/**
 * `fromSrc=<URL>`: GETs the archive (http:// assumed without a scheme), then
 * reports as dockerd does: "Downloading from <url>", "Importing" progress
 * bars, and the image ID. A failed GET throws before anything is sent.
 */
export async function importFromUrl(
  images: ImageService,
  opts: ImportOptions,
  sink: ProgressSink,
  signal?: AbortSignal,
): Promise<string> {
  const url = opts.src.includes('://') ? opts.src : `http://${opts.src}`;
  if (opts.repo) repoTagReference(opts.repo, opts.tag);
  applyChanges({}, opts.changes ?? []);
  let res: Response;
  try {
    new URL(url);
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: Error }).cause;
    throw new SystemError(`Get "${url}": ${cause?.message ?? (e as Error).message}`);
  }
  if (res.status >= 400) {
    const body = (await res.text().catch(() => '')).trim();
    const msg = `failed to GET ${url} with status ${res.status} ${res.statusText}: ${body}`;
    const Err =
      { 400: InvalidArgument, 401: Unauthorized, 403: Forbidden, 404: NotFound }[res.status] ?? SystemError;
    throw new Err(msg);
  }
  const progress = new Progress(sink);
  progress.message({ status: `Downloading from ${url}` });
  const length = Number(res.headers.get('content-length') ?? -1);
  const meter = progress.meter('Importing', '', Number.isFinite(length) ? length : -1, 0, true);
  const body = Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream<Uint8Array>);
  const source = pipeline(body, meter, () => undefined);
  const id = await importImage(images, source, { ...opts, src: url });
  progress.message({ status: id });
  return id;
}
