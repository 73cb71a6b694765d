// `docker load`: a docker-archive (legacy `<id>/layer.tar` or the Docker 25+
// OCI-layout-in-docker-archive) or a plain OCI image layout. The archive is
// extracted under tmp/ (with the same escape checks as layers), each layer
// is registered and checked against the config's diff IDs, and each image is
// recorded with its tags in one transaction.
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { InvalidArgument } from '../api/errors.js';
import { shortDigest, type Progress } from '../distribution/progress.js';
import {
  pickPlatform,
  type Descriptor,
  type Index,
  type Manifest,
  type ManifestItem,
  ANNOTATION_IMAGE_NAME,
  blobPath,
} from '../image/archive.js';
import { chainId } from '../image/chain.js';
import { goArch, type ImageConfig } from '../image/config.js';
import { sha256 } from '../image/digest.js';
import { familiar, formatReference, parseReference, withDefaultTag } from '../image/reference.js';
import { joinUnder } from '../util/fsx.js';
import { extractArchive } from '../store/unpack.js';
import type { ImageService } from './images.js';

interface LoadItem {
  configPath: string;
  layerPaths: string[];
  refs: string[];
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidArgument(`invalid ${path.basename(file)}: ${(e as Error).message}`);
  }
}

/** Items from a docker-archive manifest.json. */
function fromDockerManifest(dir: string, items: ManifestItem[]): LoadItem[] {
  return items.map((m) => ({
    configPath: joinUnder(dir, m.Config),
    layerPaths: m.Layers.map((l) => joinUnder(dir, l)),
    refs: (m.RepoTags ?? []).map((t) => formatReference(withDefaultTag(parseReference(t)))),
  }));
}

/** Items from an OCI layout's index.json (nested indexes resolved to this platform). */
async function fromOciIndex(dir: string, index: Index): Promise<LoadItem[]> {
  const items: LoadItem[] = [];
  const blob = (d: Descriptor): string => joinUnder(dir, blobPath(d.digest));
  for (const entry of index.manifests) {
    let desc: Descriptor | undefined = entry;
    let doc = await readJson<Manifest & Index>(blob(desc));
    while (doc && 'manifests' in doc && Array.isArray(doc.manifests)) {
      desc = pickPlatform(doc.manifests, goArch());
      if (!desc)
        throw new InvalidArgument('no matching manifest for linux/' + goArch() + ' in the image index');
      doc = await readJson<Manifest & Index>(blob(desc));
    }
    if (!doc?.config) throw new InvalidArgument(`manifest ${desc?.digest} not found in the archive`);
    const name = entry.annotations?.[ANNOTATION_IMAGE_NAME];
    const refs: string[] = [];
    if (name) {
      try {
        refs.push(formatReference(withDefaultTag(parseReference(name))));
      } catch {
        /* an unusable name: load untagged */
      }
    }
    const existing = items.find((i) => i.configPath === blob(doc!.config));
    if (existing) existing.refs.push(...refs);
    else items.push({ configPath: blob(doc.config), layerPaths: doc.layers.map(blob), refs });
  }
  return items;
}

/**
 * Loads every image in the archive; `say` receives the lines dockerd prints
 * (`Loaded image: busybox:latest\n`). Returns the loaded image IDs.
 */
export async function loadImages(
  images: ImageService,
  source: Readable,
  say: (line: string) => void,
  progress?: Progress,
): Promise<string[]> {
  const dir = path.join(images.paths.tmp, 'load-' + randomBytes(8).toString('hex'));
  try {
    await extractArchive(source, dir);
    const manifest = await readJson<ManifestItem[]>(path.join(dir, 'manifest.json'));
    let items: LoadItem[];
    if (manifest) items = fromDockerManifest(dir, manifest);
    else {
      const index = await readJson<Index>(path.join(dir, 'index.json'));
      if (!index)
        throw new InvalidArgument('invalid archive: does not contain a manifest.json or an index.json');
      items = await fromOciIndex(dir, index);
    }
    const ids: string[] = [];
    for (const item of items) ids.push(await loadOne(images, item, say, progress));
    return ids;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Legacy archives link duplicate layers with symlinks; follow them, but only
 * within the archive (a link to a host file must not become a layer).
 */
async function insideArchive(file: string): Promise<string> {
  const real = await fs.realpath(file).catch(() => {
    throw new InvalidArgument(`invalid archive: ${path.basename(file)} is missing`);
  });
  const root = await fs.realpath(archiveRootOf(file));
  if (!real.startsWith(root + '/'))
    throw new InvalidArgument(`invalid archive: ${path.basename(file)} points outside the archive`);
  return real;
}

/** The load-<random> directory a path belongs to. */
function archiveRootOf(file: string): string {
  const parts = file.split('/');
  const i = parts.findIndex((p) => p.startsWith('load-'));
  return parts.slice(0, i + 1).join('/');
}

async function loadOne(
  images: ImageService,
  item: LoadItem,
  say: (line: string) => void,
  progress?: Progress,
): Promise<string> {
  const raw = await fs.readFile(item.configPath, 'utf8').catch(() => {
    throw new InvalidArgument(`invalid archive: config ${path.basename(item.configPath)} is missing`);
  });
  const config = JSON.parse(raw) as ImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== item.layerPaths.length)
    throw new InvalidArgument(
      `invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${item.layerPaths.length}`,
    );
  let parent: string | null = null;
  const registered: string[] = [];
  try {
    for (let i = 0; i < item.layerPaths.length; i++) {
      // A layer already here is neither read nor reported (as dockerd does).
      const known = images.layers.get(chainId(parent, diffIds[i]));
      if (known) {
        parent = known.chainId;
        continue;
      }
      const file = await insideArchive(item.layerPaths[i]);
      const layer = await images.registerLayer(
        progress ? await metered(file, progress, chainId(parent, diffIds[i])) : { file },
        parent,
      );
      registered.push(layer.chainId);
      if (layer.diffId !== diffIds[i])
        throw new InvalidArgument(
          `invalid diffID for layer ${i}: expected "${diffIds[i]}", got "${layer.diffId}"`,
        );
      parent = layer.chainId;
    }
  } catch (e) {
    images.layers.settle(registered); // let orphan cleanup take them
    throw e;
  }
  const id = sha256(raw);
  const moved: [string, string][] = [];
  for (const ref of item.refs) {
    const before = images.records.refTarget(ref);
    if (before && before !== id) moved.push([ref, before]);
  }
  images.createImage(raw, parent, item.refs);
  for (const [ref, before] of moved)
    say(
      `The image ${familiar(ref)} already exists, renaming the old one with ID ${before} to empty string\n`,
    );
  images.publish(id, 'load', id);
  if (item.refs.length === 0) say(`Loaded image ID: ${id}\n`);
  for (const ref of item.refs) say(`Loaded image: ${familiar(ref)}\n`);
  return id;
}

/**
 * The layer file read through a "Loading layer" progress meter (id: the short
 * chain ID, total: the file's size). Only when the client wants progress: tar
 * then reads a staged copy instead of the file itself.
 */
async function metered(file: string, progress: Progress, chain: string): Promise<Readable> {
  const size = (await fs.stat(file)).size;
  return pipeline(
    createReadStream(file),
    progress.meter('Loading layer', shortDigest(chain), size, 0, true),
    () => undefined,
  );
}
