// Resolves a path inside a container's root the way the container would see
// it: symlinks are followed, but an absolute target restarts at the
// container's root and `..` stops there, so no path can reach the host.
import { promises as fs } from 'node:fs';
import path from 'node:path';

const MAX_LINKS = 255;

export class TooManyLinks extends Error {}

/**
 * Returns the clean container path (`/a/b`) that `p` names under `root`.
 * With `followFinal` false, a symlink as the last component is kept (lstat
 * semantics). Components that do not exist are appended as they are.
 */
export async function resolveInRoot(root: string, p: string, followFinal = true): Promise<string> {
  const queue = p.split('/');
  const cur: string[] = [];
  let links = 0;
  while (queue.length) {
    const comp = queue.shift()!;
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      cur.pop();
      continue;
    }
    const rel = [...cur, comp].join('/');
    let st;
    try {
      st = await fs.lstat(path.join(root, rel));
    } catch {
      cur.push(comp);
      continue; // missing: the rest is lexical
    }
    const last = queue.every((q) => q === '' || q === '.');
    if (st.isSymbolicLink() && (followFinal || !last)) {
      if (++links > MAX_LINKS) throw new TooManyLinks(`too many levels of symbolic links: ${p}`);
      const target = await fs.readlink(path.join(root, rel));
      if (target.startsWith('/')) cur.length = 0;
      queue.unshift(...target.split('/'));
      continue;
    }
    cur.push(comp);
  }
  return '/' + cur.join('/');
}

/** The host path of a clean container path under `root`. */
export function hostPath(root: string, containerPath: string): string {
  return path.join(root, containerPath);
}
