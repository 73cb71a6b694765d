// `docker save`: what Docker 25+ writes — an OCI image layout (index.json,
// oci-layout, blobs/sha256/…) plus the docker-archive manifest.json and
// repositories — with uncompressed layers whose digests are the diff IDs, so
// `docker load` of the result keeps the image ID (the config digest).
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFound } from '../api/errors.js';
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  blobPath,
  OCI_INDEX,
  OCI_LAYOUT_CONTENT,
  OCI_MANIFEST,
  saveManifest,
  type Descriptor,
  type ManifestItem,
} from '../image/archive.js';
import { sha256 } from '../image/digest.js';
import {
  familiarName,
  familiarString,
  parseReference,
  repoName,
  withDefaultTag,
  formatReference,
} from '../image/reference.js';
import { tarHeader, tarPadding, TAR_END, type TarHeader } from '../image/tar-write.js';
import { HashingPassThrough } from '../store/content.js';
import { decompressor, detectCompression } from '../store/decompress.js';
import type { ImageRecord, ImageService } from './images.js';

interface Member {
  header: TarHeader;
  data?: Buffer;
  file?: string;
}

/** Images to save with the references each is saved under (`busybox` = every tag of busybox). */
function selectImages(
  images: ImageService,
  names: string[],
): Map<string, { img: ImageRecord; refs: string[] }> {
  const out = new Map<string, { img: ImageRecord; refs: string[] }>();
  const add = (img: ImageRecord, ref?: string): void => {
    const entry = out.get(img.id) ?? { img, refs: [] };
    if (ref && !entry.refs.includes(ref)) entry.refs.push(ref);
    out.set(img.id, entry);
  };
  for (const name of names) {
    let parsed;
    try {
      parsed = parseReference(name);
    } catch {
      parsed = undefined;
    }
    if (parsed && !parsed.tag && !parsed.digest && !images.records.byPrefix(name).length) {
      // A bare repository name: all its tags.
      const repo = repoName(parsed);
      const found = images.records.all().flatMap((img) =>
        images.records
          .refs(img.id)
          .filter((r) => !r.includes('@') && r.startsWith(repo + ':'))
          .map((r) => ({ img, r })),
      );
      if (found.length) {
        for (const { img, r } of found) add(img, r);
        continue;
      }
    }
    const { image, ref } = images.records.lookup(name);
    add(image, ref && !ref.includes('@') ? ref : undefined);
  }
  if (out.size === 0) throw new NotFound('no images to save');
  return out;
}

/** A layer as an uncompressed file: the stored blob itself, or a decompressed temp copy. */
async function plainLayer(
  images: ImageService,
  blob: string,
  temps: string[],
): Promise<{ file: string; size: number; digest: string }> {
  const file = images.content.path(blob);
  const head = Buffer.alloc(6);
  const fh = await fs.open(file, 'r');
  try {
    await fh.read(head, 0, 6, 0);
  } finally {
    await fh.close();
  }
  const kind = detectCompression(head);
  if (kind === 'none') return { file, size: (await fs.stat(file)).size, digest: blob };
  const tmp = images.content.ingestPath();
  temps.push(tmp);
  const hash = new HashingPassThrough();
  await pipeline(createReadStream(file), decompressor(kind), hash, createWriteStream(tmp, { mode: 0o600 }));
  return { file: tmp, size: hash.size, digest: hash.digest() };
}

export async function saveImages(images: ImageService, names: string[]): Promise<Readable> {
  const selected = selectImages(images, names);
  const temps: string[] = [];
  const members = new Map<string, Member>();
  const manifestJson: ManifestItem[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const indexEntries: Descriptor[] = [];
  const blob = (name: string, data: Buffer, mtime: number): void => {
    members.set(name, { header: { name, type: 'file', mode: 0o644, size: data.length, mtime }, data });
  };
  try {
    for (const { img, refs } of selected.values()) {
      const mtime = Math.floor(Date.parse(img.created) / 1000) || 0;
      const layerPaths: string[] = [];
      const layerDescs: { digest: string; size: number }[] = [];
      for (const layer of images.layers.chain(img.topLayer).reverse()) {
        const plain = await plainLayer(images, layer.blob, temps);
        if (plain.digest !== layer.diffId)
          throw new Error(`layer ${layer.chainId} does not match its diff ID`);
        const name = blobPath(layer.diffId);
        members.set(name, {
          header: { name, type: 'file', mode: 0o644, size: plain.size, mtime },
          file: plain.file,
        });
        layerPaths.push(name);
        layerDescs.push({ digest: layer.diffId, size: plain.size });
      }
      const config = Buffer.from(img.rawConfig);
      blob(blobPath(img.id), config, mtime);
      const manifest = Buffer.from(saveManifest({ digest: img.id, size: config.length }, layerDescs));
      const manifestDigest = sha256(manifest);
      blob(blobPath(manifestDigest), manifest, 0);
      const repoTags: string[] = [];
      const untagged: Descriptor = { mediaType: OCI_MANIFEST, digest: manifestDigest, size: manifest.length };
      for (const r of refs) {
        const ref = withDefaultTag(parseReference(r));
        const fam = familiarName(ref);
        repositories[fam] = {
          ...repositories[fam],
          [ref.tag!]: layerDescs.length ? layerDescs[layerDescs.length - 1].digest.slice(7) : '',
        };
        repoTags.push(familiarString(ref));
        indexEntries.push({
          ...untagged,
          annotations: { [ANNOTATION_IMAGE_NAME]: formatReference(ref), [ANNOTATION_REF_NAME]: ref.tag! },
        });
      }
      if (refs.length === 0) indexEntries.push(untagged);
      manifestJson.push({
        Config: blobPath(img.id),
        RepoTags: repoTags.length ? repoTags : null,
        Layers: layerPaths,
      });
      if (img.parent && selected.has(img.parent)) manifestJson[manifestJson.length - 1].Parent = img.parent;
      images.publish(img, 'save', img.id);
    }
  } catch (e) {
    await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
    throw e;
  }
  blob(
    'index.json',
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: indexEntries })),
    0,
  );
  blob('manifest.json', Buffer.from(JSON.stringify(manifestJson) + '\n'), 0);
  blob('oci-layout', Buffer.from(OCI_LAYOUT_CONTENT), 0);
  if (Object.keys(repositories).length)
    blob('repositories', Buffer.from(JSON.stringify(repositories) + '\n'), 0);
  members.set('blobs', { header: { name: 'blobs', type: 'dir', mode: 0o755, mtime: 0 } });
  members.set('blobs/sha256', { header: { name: 'blobs/sha256', type: 'dir', mode: 0o755, mtime: 0 } });

  const ordered = [...members.keys()].sort().map((k) => members.get(k)!);
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      for (const m of ordered) {
        yield tarHeader(m.header);
        if (m.data) {
          yield m.data;
          yield tarPadding(m.data.length);
        } else if (m.file) {
          let n = 0;
          for await (const chunk of createReadStream(m.file)) {
            n += (chunk as Buffer).length;
            yield chunk as Buffer;
          }
          if (n !== m.header.size) throw new Error(`${m.header.name} changed while saving`);
          yield tarPadding(n);
        }
      }
      yield TAR_END;
    } finally {
      await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
    }
  }
  return Readable.from(generate(), { objectMode: false });
}
