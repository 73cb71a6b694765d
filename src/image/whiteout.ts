// OCI whiteouts inside layer tars (`.wh.<name>` deletes <name> from lower
// layers, `.wh..wh..opq` hides a directory's lower contents) and what they
// become for overlayfs (a 0:0 character device; `trusted.overlay.opaque=y`).
import path from 'node:path';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export type Whiteout = { kind: 'file'; path: string } | { kind: 'opaque'; dir: string };

/**
 * Maps a tar member name (already normalised: no leading `/` or `./`) to the
 * whiteout it stands for, or null for an ordinary entry.
 */
export function parseWhiteout(name: string): Whiteout | null {
  const clean = name.replace(/\/+$/, '');
  const base = path.posix.basename(clean);
  if (!base.startsWith(WHITEOUT_PREFIX)) return null;
  const dir = path.posix.dirname(clean);
  const parent = dir === '.' ? '' : dir;
  if (base === OPAQUE_MARKER) return { kind: 'opaque', dir: parent };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..') return null;
  return { kind: 'file', path: parent ? parent + '/' + target : target };
}

/** The OCI whiteout name for a removed path (used when diffing a directory). */
export function whiteoutName(removed: string): string {
  const dir = path.posix.dirname(removed);
  const base = WHITEOUT_PREFIX + path.posix.basename(removed);
  return dir === '.' ? base : dir + '/' + base;
}
