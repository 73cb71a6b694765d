// Small file-system helpers shared by the stores.
import { randomBytes } from 'node:crypto';
import { promises as fs, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes a file atomically: temp file in the same directory, then rename. */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await fs.writeFile(tmp, data, { mode });
  await fs.rename(tmp, file);
}

export function writeFileAtomicSync(file: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}

export function ensureDir(dir: string, mode = 0o711): string {
  mkdirSync(dir, { recursive: true, mode });
  return dir;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** Joins `rel` under `root` and refuses anything that would leave `root` lexically. */
export function joinUnder(root: string, rel: string): string {
  const full = path.resolve(root, '.' + path.posix.resolve('/', rel));
  if (full !== root && !full.startsWith(root.endsWith('/') ? root : root + '/'))
    throw new Error(`path ${rel} escapes ${root}`);
  return full;
}
