// Content digests in the `sha256:<64 hex>` form the OCI and Docker formats use.
import { createHash } from 'node:crypto';

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const HEX64 = /^[a-f0-9]{64}$/;

export function sha256(data: string | Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

export function isHex64(s: string): boolean {
  return HEX64.test(s);
}

/** The hex part of `sha256:<hex>`; throws on anything else (a path is built from it). */
export function digestHex(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new Error(`invalid digest ${JSON.stringify(digest)}`);
  return digest.slice('sha256:'.length);
}

/** `sha256:abcdef…` → `abcdef012345` as `docker images` shows IDs. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
