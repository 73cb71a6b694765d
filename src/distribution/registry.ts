// Distribution API v2 operations over a RegistryClient: manifests (all the
// media types Docker accepts), blobs, uploads (with cross-repository mount)
// and tag lists. Paths are `/v2/<name>/…`.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../image/archive.js';
import { sha256 } from '../image/digest.js';
import { readBody, RegistryError, type RegistryClient } from './client.js';

export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST, OCI_MANIFEST].join(', ');

export interface FetchedManifest {
  mediaType: string;
  digest: string;
  raw: Buffer;
}

/** `GET /v2/<name>/manifests/<tag|digest>`; the digest of the bytes is checked when asked by digest. */
export async function getManifest(
  client: RegistryClient,
  name: string,
  reference: string,
): Promise<FetchedManifest> {
  const { res, body } = await client.fetch('GET', `/v2/${name}/manifests/${reference}`, {
    headers: { Accept: MANIFEST_ACCEPT },
  });
  const digest = sha256(body);
  if (reference.startsWith('sha256:') && digest !== reference)
    throw new RegistryError(`manifest verification failed for digest ${reference}`, 500);
  let mediaType = String(res.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();
  try {
    const j = JSON.parse(body.toString('utf8')) as {
      mediaType?: string;
      manifests?: unknown;
      schemaVersion?: number;
    };
    if (j.mediaType) mediaType = j.mediaType;
    else if (!mediaType || mediaType === 'application/json')
      mediaType = Array.isArray(j.manifests) ? OCI_INDEX : OCI_MANIFEST;
    if (j.schemaVersion === 1)
      throw new RegistryError(
        'support for Docker Image Format v1 and Docker Image manifest version 2, schema 1 has been removed',
        400,
      );
  } catch (e) {
    if (e instanceof RegistryError) throw e;
    throw new RegistryError(`invalid manifest for ${name}:${reference}: not JSON`, 500);
  }
  return { mediaType, digest, raw: body };
}

export async function blobStream(
  client: RegistryClient,
  name: string,
  digest: string,
): Promise<IncomingMessage> {
  return client.send('GET', `/v2/${name}/blobs/${digest}`);
}

export async function getBlob(client: RegistryClient, name: string, digest: string): Promise<Buffer> {
  const body = await readBody(await blobStream(client, name, digest), 256 << 20);
  if (sha256(body) !== digest) throw new RegistryError(`digest mismatch for blob ${digest}`, 500);
  return body;
}

/** HEAD a blob: true when the repository already has it. */
export async function blobExists(client: RegistryClient, name: string, digest: string): Promise<boolean> {
  const res = await client.send('HEAD', `/v2/${name}/blobs/${digest}`, { ok: (s) => s < 300 || s === 404 });
  res.resume();
  return res.statusCode !== 404;
}

/**
 * Uploads one blob as dockerd does: a cross-repository mount from
 * `mountFrom` first (201 means done), else the bytes streamed in one PATCH
 * to the upload session, then a PUT with the digest that closes it. A
 * registry that refuses PATCH (405/501) gets a monolithic PUT instead.
 * Returns 'mounted' or 'pushed'.
 */
export async function uploadBlob(
  client: RegistryClient,
  name: string,
  digest: string,
  size: number,
  open: () => Readable,
  mountFrom?: string,
): Promise<'mounted' | 'pushed'> {
  const qs = mountFrom ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(mountFrom)}` : '';
  const start = await client.send('POST', `/v2/${name}/blobs/uploads/${qs}`, {
    headers: { 'Content-Length': '0' },
    body: Buffer.alloc(0),
  });
  start.resume();
  if (start.statusCode === 201) return 'mounted';
  let location = uploadUrl(client, start.headers.location);
  const patch = await client.send('PATCH', location.toString(), {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(size),
      ...(size > 0 ? { 'Content-Range': `0-${size - 1}` } : {}),
    },
    body: open(),
    ok: (s) => s === 202 || s === 204 || s === 405 || s === 501,
  });
  patch.resume();
  const patched = patch.statusCode === 202 || patch.statusCode === 204;
  if (patched) location = uploadUrl(client, patch.headers.location ?? location.toString());
  location.searchParams.set('digest', digest);
  const put = await client.send('PUT', location.toString(), {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': patched ? '0' : String(size),
    },
    body: patched ? Buffer.alloc(0) : open(),
  });
  put.resume();
  return 'pushed';
}

function uploadUrl(client: RegistryClient, location: string | undefined): URL {
  if (!location) throw new RegistryError('registry did not give an upload location', 500);
  return new URL(location, client.endpoint.url + '/');
}

export async function putManifest(
  client: RegistryClient,
  name: string,
  reference: string,
  mediaType: string,
  raw: Buffer,
): Promise<string> {
  const res = await client.send('PUT', `/v2/${name}/manifests/${reference}`, {
    headers: { 'Content-Type': mediaType, 'Content-Length': String(raw.length) },
    body: raw,
  });
  res.resume();
  return String(res.headers['docker-content-digest'] ?? sha256(raw));
}

export async function listTags(client: RegistryClient, name: string): Promise<string[]> {
  const tags: string[] = [];
  let next: string | undefined = `/v2/${name}/tags/list`;
  while (next) {
    const { res, body }: { res: IncomingMessage; body: Buffer } = await client.fetch('GET', next);
    tags.push(...((JSON.parse(body.toString('utf8')) as { tags?: string[] | null }).tags ?? []));
    const link = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''));
    next = link ? link[1] : undefined;
  }
  return tags;
}
