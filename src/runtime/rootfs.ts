// Overlay root filesystems: mount the image layers (read-only lowerdirs) with a
// per-container upper/work dir on a target, and take them down again.
//
// mount(2) takes its option string in one page (4096 bytes). With many layers
// the absolute lowerdir list overflows it, so then we run mount(8) from the
// layers' common parent directory and pass relative lowerdirs (the kernel
// resolves them against the mounting process's cwd). If even that is too long
// (hundreds of 64-hex-digit layer dirs), we make a scratch dir of short
// symlinks (0, 1, 2, … → layer) next to the target, mount from there, and
// remove it afterwards (the kernel resolves lowerdirs once, at mount time).
//
// The common case (absolute lowerdirs fit) calls mount(2) through the native
// addon, saving a mount(8) spawn; the relative forms need mount(8)'s own cwd
// and always spawn it (see src/util/native.ts for the fallback rules).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { MNT_DETACH, withNative } from '../util/native.js';

const run = promisify(execFile);
const PAGE = 4096;
/** The kernel's limit on overlay lower layers. */
export const MAX_LOWER_LAYERS = 500;

export interface OverlayOptions {
  /** Lower layers, topmost first (overlay's own order). */
  lowerDirs: string[];
  /** Omit upper/work for a read-only overlay (needs at least two lowers). */
  upper?: string;
  work?: string;
  target: string;
}

function commonDir(paths: string[]): string {
  const split = paths.map((p) => path.resolve(p).split('/'));
  const first = split[0];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join('/') || '/';
}

/** The `-o` string and the cwd mount(8) must run in for it (`links`: symlinks to create there first). */
export function overlayMountOptions(o: OverlayOptions): { options: string; cwd: string; links?: string[] } {
  if (o.lowerDirs.length === 0) throw new Error('overlay needs at least one lower layer');
  if (o.lowerDirs.length > MAX_LOWER_LAYERS)
    throw new Error(`max depth exceeded: ${o.lowerDirs.length} layers`);
  const tail = (lower: string) => {
    let s = `lowerdir=${lower}`;
    if (o.upper && o.work) s += `,upperdir=${path.resolve(o.upper)},workdir=${path.resolve(o.work)}`;
    return s;
  };
  const abs = tail(o.lowerDirs.map((d) => path.resolve(d)).join(':'));
  if (abs.length < PAGE - 1) return { options: abs, cwd: '/' };
  const cwd = commonDir(o.lowerDirs);
  const rel = tail(o.lowerDirs.map((d) => path.relative(cwd, path.resolve(d)) || '.').join(':'));
  if (rel.length < PAGE - 1) return { options: rel, cwd };
  const linkDir = path.join(path.dirname(path.resolve(o.target)), `.lower-${path.basename(o.target)}`);
  const links = o.lowerDirs.map((d) => path.resolve(d));
  const short = tail(links.map((_, i) => String(i)).join(':'));
  return { options: short, cwd: linkDir, links };
}

export async function mountOverlay(
  lowerDirs: string[],
  upper: string | undefined,
  work: string | undefined,
  target: string,
): Promise<void> {
  mkdirSync(target, { recursive: true });
  if (upper) mkdirSync(upper, { recursive: true });
  if (work) mkdirSync(work, { recursive: true });
  const { options, cwd, links } = overlayMountOptions({ lowerDirs, upper, work, target });
  if (links) {
    rmSync(cwd, { recursive: true, force: true });
    mkdirSync(cwd);
    links.forEach((l, i) => symlinkSync(l, path.join(cwd, String(i))));
  }
  const abs = path.resolve(target);
  const spawnMount = async () => {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, abs], { cwd });
  };
  try {
    if (cwd === '/' && !links)
      await withNative('mount', (sys) => sys.mount('overlay', abs, 'overlay', 0, options), spawnMount);
    else await spawnMount();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`error mounting overlay on ${target}: ${(e.stderr || e.message).trim()}`);
  } finally {
    if (links) rmSync(cwd, { recursive: true, force: true });
  }
}

export function isMountPoint(target: string): boolean {
  const abs = path.resolve(target);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[4] === abs);
}

/**
 * Whether another filesystem is mounted on `target`: its device differs from
 * its parent directory's. Two stats instead of reading the whole mount table
 * (thousands of lines on a busy host); right for overlay/tmpfs mounts, not
 * for a bind mount within one filesystem (use isMountPoint there).
 */
export function hasOwnFilesystem(target: string): boolean {
  const abs = path.resolve(target);
  try {
    return statSync(abs).dev !== statSync(path.dirname(abs)).dev;
  } catch {
    return false;
  }
}

/** Unmounts `target` if it is mounted; a busy mount is detached lazily. */
export async function unmount(target: string): Promise<void> {
  const abs = path.resolve(target);
  await withNative(
    'umount',
    // No mount-table read first: umount2 answers EINVAL for "not a mount point".
    (sys) => {
      try {
        sys.umount2(abs, 0);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EINVAL' || code === 'ENOENT') return;
        if (code !== 'EBUSY') throw e;
        sys.umount2(abs, MNT_DETACH);
      }
    },
    async () => {
      if (!isMountPoint(abs)) return;
      try {
        await run('umount', [abs]);
      } catch {
        await run('umount', ['-l', abs]);
      }
    },
  );
}
