// File system primitives for COPY/ADD: resolve a path inside a root the way
// a chroot would (symlinks never lead out of it), and copy a tree without
// following any symlink it meets — links are copied as links, an entry in
// the way of a directory is replaced, directories merge.
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';

const MAX_LINKS = 255;

/**
 * Resolves `rel` (absolute inside the root, or relative to it) under `root`,
 * following symlinks as if `root` were `/`. The last component is followed
 * only when `followLast`. The result is always `root` or below it.
 */
export async function resolveInRoot(root: string, rel: string, followLast = true): Promise<string> {
  const parts = path.posix
    .normalize('/' + rel)
    .split('/')
    .filter(Boolean);
  let cur = root;
  let links = 0;
  while (parts.length) {
    const name = parts.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      cur = cur === root ? root : path.dirname(cur);
      continue;
    }
    const next = path.join(cur, name);
    const last = parts.length === 0;
    const st = await fs.lstat(next).catch(() => null);
    if (st?.isSymbolicLink() && (!last || followLast)) {
      if (++links > MAX_LINKS) throw new Error(`too many levels of symbolic links: ${rel}`);
      const target = await fs.readlink(next);
      parts.unshift(...target.split('/').filter(Boolean));
      if (target.startsWith('/')) cur = root;
      continue;
    }
    cur = next;
  }
  return cur;
}

export interface CopyOptions {
  uid?: number;
  gid?: number;
  /** --chmod: applied to every copied entry. */
  mode?: number;
}

/** Creates the missing directories of `dir` (already resolved under a root), owned as `o` says, mode 0755. */
export async function mkdirOwned(dir: string, o: CopyOptions): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    const st = await fs.lstat(d).catch(() => null);
    if (st?.isDirectory()) break;
    if (st) await fs.rm(d, { force: true, recursive: true });
    missing.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing) {
    await fs.mkdir(d, { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    await fs.chmod(d, 0o755);
    if (o.uid !== undefined) await fs.lchown(d, o.uid, o.gid ?? o.uid);
  }
}

async function applyMeta(dst: string, st: Stats, o: CopyOptions): Promise<void> {
  const uid = o.uid ?? 0;
  const gid = o.gid ?? 0;
  await fs.lchown(dst, uid, gid);
  if (!st.isSymbolicLink()) {
    // chown clears setuid/setgid bits, so the mode goes last.
    await fs.chmod(dst, o.mode ?? st.mode & 0o7777);
    await fs.utimes(dst, st.atime, st.mtime);
  } else {
    await fs.lutimes(dst, st.atime, st.mtime).catch(() => undefined);
  }
}

/** Copies one entry (file, link or whole directory) from `src` to exactly `dst`. */
export async function copyEntry(src: string, dst: string, o: CopyOptions, st?: Stats): Promise<void> {
  const s = st ?? (await fs.lstat(src));
  const existing = await fs.lstat(dst).catch(() => null);
  if (s.isDirectory()) {
    if (existing && !existing.isDirectory()) await fs.rm(dst, { force: true, recursive: true });
    if (!existing || !existing.isDirectory()) await fs.mkdir(dst);
    await copyContents(src, dst, o);
    await applyMeta(dst, s, o);
    return;
  }
  if (existing) await fs.rm(dst, { force: true, recursive: true });
  if (s.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dst);
  else if (s.isFile()) await fs.copyFile(src, dst);
  else return; // sockets, fifos, devices: the legacy builder's tar copy keeps them, but a context never needs them
  await applyMeta(dst, s, o);
}

/** Copies what is inside `srcDir` into `dstDir` (which exists). */
export async function copyContents(srcDir: string, dstDir: string, o: CopyOptions): Promise<void> {
  const entries = await fs.readdir(srcDir, { withFileTypes: true });
  for (const e of entries) await copyEntry(path.join(srcDir, e.name), path.join(dstDir, e.name), o);
}
