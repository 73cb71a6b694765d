// Server side of the build context: the tar the client sends (plain, gzip,
// bzip2 or xz) is read as it streams in (context-tar.ts). It is kept in
// memory with a model of its tree (context-memory.ts), so a build whose
// steps all come from the cache never writes it out; the first step that
// needs real files writes it into a private temp dir (context-unpack.ts),
// and a context over MEMORY_BUDGET goes there while it arrives. Members with
// `..` are skipped, leading `/` is stripped, symlinks are made last and
// never followed (one that points outside stays a link: COPY copies it as
// one), nothing is written outside the dir, and a body that is not a tar or
// breaks off leaves nothing behind.
import { spawn } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { InvalidArgument, SystemError } from '../api/errors.js';
import { detectCompression, peek, type Compression } from '../store/decompress.js';
import { ContextMemory, type ModelSources } from './context-memory.js';
import { ContextTarError, readContextTar } from './context-tar.js';

/** Context bytes a build may hold in memory; a larger context is written out as it arrives. */
export const MEMORY_BUDGET = 64 << 20;

export interface BuildContext {
  /** Where the context is (or will be) unpacked (real path). */
  dir: string;
  /** Writes the context into `dir` (once); needed before anything reads files there. */
  materialize(): Promise<void>;
  /** Content digest of a context file on disk, taken as it was written (absolute path). */
  digestOf(abs: string): string | undefined;
  /** The cache-key hash of COPY/ADD context sources without the disk; null when only the disk can tell. */
  hashSources(words: string[]): ModelSources | null;
  /** The Dockerfile: its path in the context and its text. */
  dockerfile(name: string | undefined): Promise<{ rel: string; text: string }>;
  /** A file of the context as text; undefined when there is none. */
  readText(rel: string): Promise<string | undefined>;
  /** Removes a file from the context (in memory and on disk). */
  drop(rel: string): Promise<void>;
  /** Removes the temp dir; safe to call more than once. */
  remove(): Promise<void>;
}

/** Reads `body` (the context tar); on any failure nothing is left behind. */
export async function extractContext(
  body: Readable,
  tmpRoot: string,
  signal?: AbortSignal,
  opts: { memoryBudget?: number } = {},
): Promise<BuildContext> {
  const made = mkdtempSync(path.join(tmpRoot, 'build-ctx-'));
  const remove = (): Promise<void> => fs.rm(made, { recursive: true, force: true });
  try {
    const dir = await fs.realpath(made);
    const memory = new ContextMemory(dir, opts.memoryBudget ?? MEMORY_BUDGET, 0o777 & ~process.umask());
    const head = await peek(body, 6);
    const plain = plainTar(body, detectCompression(head));
    try {
      await readContextTar(plain.stream, memory, signal);
      await memory.streamDone();
    } catch (e) {
      await memory.abort();
      if (signal?.aborted) throw signal.reason ?? e;
      if (e instanceof ContextTarError || badCompression(e))
        throw new InvalidArgument(`failed to read the build context: ${(e as Error).message}`);
      throw e;
    } finally {
      plain.close();
      // The rest of a body we stopped reading is drained, so the client can finish sending and read the answer.
      body.resume();
    }
    return contextOver(dir, memory, remove);
  } catch (e) {
    await remove();
    throw e;
  }
}

function contextOver(dir: string, memory: ContextMemory, remove: () => Promise<void>): BuildContext {
  const dropped: string[] = [];
  let written: Promise<void> | null = null;
  const materialize = (): Promise<void> =>
    (written ??= memory.materialize().then(async () => {
      for (const rel of dropped) await fs.rm(path.join(dir, rel), { force: true });
    }));
  return {
    dir,
    materialize,
    digestOf: (abs) => memory.digestOf(abs),
    hashSources: (words) => memory.hashSources(words),
    async dockerfile(name) {
      const wanted = name && name !== '' ? name : 'Dockerfile';
      const rel = path.posix.normalize('/' + wanted.replace(/\\/g, '/')).slice(1);
      const candidates = [rel];
      if (!name || name === 'Dockerfile') candidates.push('dockerfile');
      let known = true;
      for (const c of candidates) {
        const b = memory.fileContent(c);
        if (b) return { rel: c, text: b.toString('utf8') };
        if (b === undefined) known = false;
      }
      // dockerd answers 500 with this text.
      if (known) throw new SystemError(`Cannot locate specified Dockerfile: ${wanted}`);
      await materialize();
      const file = await locateDockerfile(dir, name);
      return { rel: path.relative(dir, file), text: await fs.readFile(file, 'utf8') };
    },
    async readText(rel) {
      const b = memory.fileContent(rel);
      if (b !== undefined) return b?.toString('utf8');
      await materialize();
      return fs.readFile(path.join(dir, rel), 'utf8').catch(() => undefined);
    },
    async drop(rel) {
      memory.drop(rel);
      dropped.push(rel);
      if (written) {
        await written;
        await fs.rm(path.join(dir, rel), { force: true });
      }
    },
    // A write still under way (the build was cancelled meanwhile) finishes before the dir goes.
    remove: async () => {
      await written?.catch(() => undefined);
      await remove();
    },
  };
}

/**
 * The plain tar of `body`: gzip in-process, xz / bzip2 / zstd through their
 * programs. Always through a stream of our own (stopping early must not
 * destroy the request); `close` stops the decompressor, whatever happened.
 */
function plainTar(body: Readable, kind: Compression): { stream: Readable; close(): void } {
  if (kind === 'none' || kind === 'gzip') {
    const s = kind === 'gzip' ? zlib.createGunzip() : new PassThrough();
    body.pipe(s);
    body.once('error', (e) => s.destroy(e));
    return { stream: s, close: () => (body.unpipe(s), s.destroy()) };
  }
  const tool = { xz: 'xz', bzip2: 'bzip2', zstd: 'zstd' }[kind];
  const child = spawn(tool, ['-d', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined);
  const out = new PassThrough();
  child.once('error', (e) => out.destroy(new Error(`${tool}: ${e.message}`)));
  child.stdout.pipe(out, { end: false });
  child.once('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new Error(`${tool}: exit ${code}: ${stderr.trim()}`));
  });
  body.pipe(child.stdin);
  body.once('error', (e) => out.destroy(e));
  return {
    stream: out,
    close: () => {
      body.unpipe(child.stdin);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      out.destroy();
    },
  };
}

/** A corrupt gzip stream (zlib's Z_* codes) or an xz / bzip2 that exited with an error. */
function badCompression(e: unknown): boolean {
  const c = (e as NodeJS.ErrnoException).code;
  return (typeof c === 'string' && c.startsWith('Z_')) || /^(xz|bzip2|zstd): /.test((e as Error).message);
}

/** Where the Dockerfile named by `dockerfile` is inside the context (Docker also accepts `dockerfile` for the default). */
export async function locateDockerfile(ctxDir: string, name: string | undefined): Promise<string> {
  const wanted = name && name !== '' ? name : 'Dockerfile';
  const rel = path.posix.normalize('/' + wanted.replace(/\\/g, '/')).slice(1);
  const candidates = [rel];
  if (!name || name === 'Dockerfile') candidates.push('dockerfile');
  for (const c of candidates) {
    const full = path.join(ctxDir, c);
    const real = await fs.realpath(full).catch(() => null);
    if (!real || (real !== ctxDir && !real.startsWith(ctxDir + '/'))) continue;
    const st = await fs.stat(real).catch(() => null);
    if (st?.isFile()) return real;
  }
  // dockerd answers 500 with this text.
  throw new SystemError(`Cannot locate specified Dockerfile: ${wanted}`);
}
