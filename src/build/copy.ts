// COPY and ADD with the legacy builder's semantics: sources (globs with Go's
// filepath.Match rules, paths never outside the context, a source symlink
// followed only inside the context), the destination rules (a trailing `/`
// or an existing directory means "into"; several sources need a directory
// ending in `/`), a directory source copies its contents, and for ADD local
// tar archives are unpacked and URLs fetched.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument } from '../api/errors.js';
import { decompressor, detectCompression } from '../store/decompress.js';
import { copyContents, copyEntry, mkdirOwned, resolveInRoot, type CopyOptions } from './copy-fs.js';

export interface CopySource {
  /** Where the entry is on disk (after following a top-level symlink inside the root). */
  abs: string;
  /** Path relative to the source root, as the user named it (cleaned). */
  rel: string;
  st: Stats;
  /** ADD: the file was downloaded from this URL. */
  url?: string;
}

/** A build failure the stream reports as `error` (dockerd's message text). */
export class StepError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'StepError';
  }
}

const GLOB = /[*?[]/;

/** Go's filepath.Match as a RegExp over a whole cleaned path. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) throw new InvalidArgument(`syntax error in pattern`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '!' + cls.slice(1);
      re += cls.startsWith('!')
        ? `[^/${cls.slice(1).replace(/\\/g, '\\\\')}]`
        : `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Cleans a source path relative to its root; null when it leaves the root. */
export function cleanSource(src: string): string | null {
  const n = path.posix.normalize(src.replace(/^\/+/, ''));
  if (n === '..' || n.startsWith('../')) return null;
  return n === '.' ? '' : n.replace(/\/$/, '');
}

async function walk(
  root: string,
  rel: string,
  visit: (rel: string, st: Stats) => Promise<boolean>,
): Promise<void> {
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    const st = await fs.lstat(path.join(root, r));
    const descend = await visit(r, st);
    if (descend && st.isDirectory()) await walk(root, r, visit);
  }
}

/**
 * Resolves COPY/ADD sources under `root` (the context, or the rootfs of a
 * `--from` stage/image). `context` picks the context's error texts.
 */
export async function resolveSources(
  root: string,
  srcs: string[],
  cmd: string,
  context: boolean,
): Promise<CopySource[]> {
  const out: CopySource[] = [];
  for (const src of srcs) {
    const rel = cleanSource(src);
    if (rel === null)
      throw new StepError(`${cmd} failed: forbidden path outside the build context: ${src} ()`);
    if (GLOB.test(rel)) {
      const re = globRegExp(rel);
      const found: CopySource[] = [];
      await walk(root, '', async (r, st) => {
        if (!re.test(r)) return true;
        found.push({ abs: path.join(root, r), rel: r, st });
        return false;
      });
      if (found.length === 0) throw new StepError(`${cmd} failed: no source files were specified`);
      out.push(...found);
      continue;
    }
    const abs = await resolveInRoot(root, rel, true);
    const st = await fs.lstat(abs).catch(() => null);
    if (!st) {
      // A symlink whose target is missing (or outside the root) is still an entry: copy it as a link.
      const link = path.join(root, rel);
      const lst = rel ? await fs.lstat(link).catch(() => null) : null;
      if (lst?.isSymbolicLink()) {
        out.push({ abs: link, rel, st: lst });
        continue;
      }
      throw new StepError(
        context
          ? `${cmd} failed: file not found in build context or excluded by .dockerignore: stat ${rel || src}: file does not exist`
          : `${cmd} failed: stat ${src}: file does not exist`,
      );
    }
    out.push({ abs, rel, st });
  }
  return out;
}

export interface DestOptions extends CopyOptions {
  /** ADD: unpack local tar archives. */
  add: boolean;
  /** A scratch dir for unpacking archives. */
  tmp: string;
}

/** The absolute destination as the image sees it: relative to WORKDIR, trailing slash kept. */
export function destPath(dest: string, workdir: string): string {
  const dir = dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
  let abs = path.posix.isAbsolute(dest) ? dest : path.posix.join(workdir || '/', dest);
  abs = path.posix.normalize(abs);
  if (dir && !abs.endsWith('/')) abs += '/';
  return abs;
}

/** Copies `sources` into the mounted `rootfs` at `dest` (already made absolute by destPath). */
export async function copyToRootfs(
  rootfs: string,
  sources: CopySource[],
  dest: string,
  cmd: string,
  o: DestOptions,
): Promise<void> {
  const wantsDir = dest.endsWith('/');
  if (sources.length > 1 && !wantsDir)
    throw new StepError(
      `When using ${cmd} with more than one source file, the destination must be a directory and end with a /`,
    );
  const target = await resolveInRoot(rootfs, dest, true);
  const existing = await fs.stat(target).catch(() => null);
  const intoDir = wantsDir || !!existing?.isDirectory();
  for (const s of sources) {
    if (s.st.isDirectory()) {
      await mkdirOwned(target, o);
      await copyContents(s.abs, target, o);
      continue;
    }
    if (o.add && !s.url && s.st.isFile() && (await isArchive(s.abs))) {
      await mkdirOwned(target, o);
      await unpackArchive(s.abs, target, o.tmp);
      continue;
    }
    const name = s.url ? urlBaseName(s.url) : path.posix.basename(s.rel || s.abs);
    const file = intoDir ? path.join(target, name) : target;
    await mkdirOwned(path.dirname(file), o);
    await copyEntry(s.abs, file, o, s.st);
  }
}

async function isArchive(file: string): Promise<boolean> {
  const fh = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    if (detectCompression(head.subarray(0, bytesRead)) !== 'none') return true;
    return bytesRead >= 262 && head.toString('latin1', 257, 262) === 'ustar';
  } finally {
    await fh.close();
  }
}

/** Unpacks into a scratch dir first, then merges with the symlink-safe copy. */
async function unpackArchive(file: string, target: string, tmp: string): Promise<void> {
  const scratch = mkdtempSync(path.join(tmp, 'add-'));
  try {
    const head = Buffer.alloc(8);
    const fh = await fs.open(file, 'r');
    await fh.read(head, 0, 8, 0);
    await fh.close();
    const tar = spawn('tar', ['-x', '-f', '-', '-C', scratch, '--same-owner', '--same-permissions'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    tar.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number>((r) => tar.once('close', (c) => r(c ?? 1)));
    await pipeline(createReadStream(file), decompressor(detectCompression(head)), tar.stdin).catch(
      (e: NodeJS.ErrnoException) => {
        // tar stops reading at the end-of-archive blocks; its exit code tells whether it worked.
        if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
      },
    );
    if ((await exited) !== 0) throw new StepError(`ADD failed: ${err.trim().split('\n')[0]}`);
    await copyKeepingOwners(scratch, target);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** Archive members keep their owners and modes (no --chown for archives, as the legacy builder). */
async function copyKeepingOwners(src: string, dst: string): Promise<void> {
  for (const e of await fs.readdir(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const st = await fs.lstat(s);
    await copyEntry(s, path.join(dst, e.name), { uid: st.uid, gid: st.gid }, st);
  }
}

export function isUrl(src: string): boolean {
  return /^https?:\/\//i.test(src);
}

function urlBaseName(url: string): string {
  const p = new URL(url).pathname;
  return path.posix.basename(p) || 'index.html';
}

/** ADD <url>: download into `dir`; offline or failing servers give a clear step error. */
export async function download(url: string, dir: string, signal?: AbortSignal): Promise<CopySource> {
  let res: Response;
  try {
    res = await fetch(url, {
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string; code?: string } }).cause;
    throw new StepError(`ADD failed: Get "${url}": ${cause?.message ?? (e as Error).message}`);
  }
  if (!res.ok)
    throw new StepError(`ADD failed: failed to GET ${url} with status ${res.status} ${res.statusText}`);
  const file = path.join(dir, 'download');
  await fs.writeFile(file, Buffer.from(await res.arrayBuffer()), { mode: 0o600 });
  const lm = res.headers.get('last-modified');
  if (lm && !Number.isNaN(Date.parse(lm))) await fs.utimes(file, new Date(lm), new Date(lm));
  return { abs: file, rel: urlBaseName(url), st: await fs.lstat(file), url };
}
