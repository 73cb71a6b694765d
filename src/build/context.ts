// The build context the client sends with POST /build, made the way the
// docker CLI makes it: a tar of the context directory without what
// .dockerignore leaves out (owners 0:0, mtimes in seconds, symlinks stored as
// symlinks and never followed, hard links as links), a Dockerfile from stdin
// or from outside the context added under a random `.dockerfile.<hex>` name,
// or stdin passed through when it already is an archive.
import { randomBytes } from 'node:crypto';
import { existsSync, type Stats } from 'node:fs';
import { lstat, open, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { TAR_END, tarHeader, tarPadding, type TarHeader } from '../image/tar-write.js';
import { DockerignoreMatcher, keepBuildFiles, readDockerignore } from './dockerignore.js';

export interface ContextOptions {
  /** The PATH argument: a directory, `-` (stdin), or an http(s)/git URL. */
  context: string;
  /** `-f` as given (relative to the current directory), `-` for stdin. */
  dockerfile?: string;
  stdin: Readable;
}

export interface PreparedContext {
  /** The tar (or compressed tar) to send; undefined for a remote context. */
  body?: Readable;
  /** The `dockerfile` query value; undefined lets the daemon use its default. */
  dockerfile?: string;
  /** The `remote` query value for URL contexts. */
  remote?: string;
}

/** A context that cannot be prepared; the message is the docker CLI's. */
export class ContextError extends Error {}

const CHUNK = 256 * 1024;

export async function prepareContext(opts: ContextOptions): Promise<PreparedContext> {
  const { context, dockerfile } = opts;
  if (context === '-') {
    if (dockerfile === '-')
      throw new ContextError("invalid argument: can't use stdin for both build context and dockerfile");
    return contextFromStdin(opts.stdin, dockerfile);
  }
  if (isLocalDir(context)) return contextFromDir(context, dockerfile, opts.stdin);
  if (/^(git@|git:\/\/|github\.com\/)/.test(context) || /\.git(#.*)?$/.test(context))
    throw new ContextError('unable to prepare context: git contexts are not supported by berth build');
  if (/^https?:\/\//.test(context)) return { remote: context, dockerfile: dockerfile || undefined };
  throw new ContextError(`unable to prepare context: path ${JSON.stringify(context)} not found`);
}

function isLocalDir(p: string): boolean {
  return existsSync(p);
}

/** `-f x` relative to the context, as the CLI works it out (symlinks in the path followed). */
async function dockerfileRelPath(contextDir: string, given: string | undefined): Promise<string> {
  let abs: string;
  if (!given || given === '-') {
    abs = path.join(contextDir, 'Dockerfile');
    if (!given && !existsSync(abs) && existsSync(path.join(contextDir, 'dockerfile')))
      abs = path.join(contextDir, 'dockerfile');
  } else abs = path.resolve(given);
  if (given !== '-') {
    try {
      abs = await realpath(abs);
    } catch {
      throw new ContextError(
        `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${missingPrefix(abs)}: no such file or directory`,
      );
    }
  }
  return path.relative(contextDir, abs);
}

/** The first missing path component, as Go's EvalSymlinks names it in its error. */
function missingPrefix(abs: string): string {
  const parts = abs.split('/');
  for (let i = 2; i <= parts.length; i++) {
    const p = parts.slice(0, i).join('/');
    if (!existsSync(p)) return p;
  }
  return abs;
}

async function contextFromDir(
  given: string,
  dockerfile: string | undefined,
  stdin: Readable,
): Promise<PreparedContext> {
  let dir: string;
  try {
    dir = await realpath(path.resolve(given));
  } catch (e) {
    throw new ContextError(
      `unable to prepare context: unable to evaluate symlinks in context path: ${(e as Error).message}`,
    );
  }
  if (!(await stat(dir)).isDirectory())
    throw new ContextError(`unable to prepare context: context must be a directory: ${dir}`);
  const rel = await dockerfileRelPath(dir, dockerfile);
  let extraDockerfile: Buffer | undefined;
  if (dockerfile === '-') extraDockerfile = await readAllStream(stdin);
  else if (rel.startsWith('../')) {
    try {
      extraDockerfile = await readFile(path.resolve(dockerfile!));
    } catch (e) {
      throw new ContextError(`unable to open Dockerfile: ${(e as Error).message}`);
    }
  }
  let excludes: string[] = [];
  try {
    excludes = readDockerignore(await readFile(path.join(dir, '.dockerignore'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  excludes = keepBuildFiles(excludes, rel, dockerfile === '-');
  let matcher: DockerignoreMatcher;
  try {
    matcher = new DockerignoreMatcher(excludes);
  } catch (e) {
    throw new ContextError(`error checking context: ${(e as Error).message}`);
  }
  if (!extraDockerfile) return { body: Readable.from(tarDirectory(dir, matcher)), dockerfile: rel };
  // The CLI names the Dockerfile randomly and lists that name in .dockerignore
  // so that dockerd reads it but leaves it out of what COPY sees.
  const name = '.dockerfile.' + randomBytes(10).toString('hex');
  return {
    body: Readable.from(tarDirectory(dir, matcher, { name, content: extraDockerfile })),
    dockerfile: name,
  };
}

interface ExtraDockerfile {
  name: string;
  content: Buffer;
}

/** The context directory as tar blocks, walked in lexical order like Go's filepath.Walk. */
export async function* tarDirectory(
  root: string,
  matcher: DockerignoreMatcher,
  extra?: ExtraDockerfile,
): AsyncGenerator<Buffer> {
  const seenInodes = new Map<string, string>();
  let sawIgnoreFile = false;
  const ignoreAddition = extra ? `\n${extra.name}\n` : '';

  async function* walk(rel: string): AsyncGenerator<Buffer> {
    const names = (await readdir(path.join(root, rel))).sort(byteOrder);
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, relPath);
      let st: Stats;
      try {
        st = await lstat(abs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed while walking
        throw e;
      }
      if (matcher.isExcluded(relPath)) {
        // An excluded directory is still entered when an exception may re-include something below it.
        if (st.isDirectory() && matcher.hasExclusions && matcher.mustDescend(relPath)) yield* walk(relPath);
        continue;
      }
      if (st.isSocket() || st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) continue;
      const header: TarHeader = {
        name: latin1(relPath),
        type: 'file',
        mode: st.mode & 0o7777,
        uid: 0,
        gid: 0,
        mtime: Math.floor(st.mtimeMs / 1000),
      };
      if (st.isDirectory()) {
        yield tarHeader({ ...header, name: header.name + '/', type: 'dir' });
        yield* walk(relPath);
      } else if (st.isSymbolicLink()) {
        yield tarHeader({ ...header, type: 'symlink', linkname: latin1(await readlink(abs)) });
      } else {
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? seenInodes.get(inode) : undefined;
        if (first !== undefined) {
          yield tarHeader({ ...header, type: 'link', linkname: first, size: 0 });
          continue;
        }
        if (st.nlink > 1) seenInodes.set(inode, header.name);
        if (relPath === '.dockerignore' && extra) {
          sawIgnoreFile = true;
          const content = Buffer.concat([await readFile(abs), Buffer.from(ignoreAddition)]);
          yield* member({ ...header, size: content.length }, content);
          continue;
        }
        yield tarHeader({ ...header, size: st.size });
        yield* fileData(abs, st.size);
      }
    }
  }

  yield* walk('');
  if (extra) {
    const now = Math.floor(Date.now() / 1000);
    yield* member(
      { name: extra.name, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime: now, size: extra.content.length },
      extra.content,
    );
    if (!sawIgnoreFile) {
      const content = Buffer.from('.dockerignore' + ignoreAddition);
      yield* member(
        { name: '.dockerignore', type: 'file', mode: 0o600, size: content.length, mtime: now },
        content,
      );
    }
  }
  yield TAR_END;
}

function* member(header: TarHeader, content: Buffer): Generator<Buffer> {
  yield tarHeader(header);
  yield content;
  yield tarPadding(content.length);
}

/** Exactly `size` bytes of the file (zero-filled if it shrank meanwhile), then the block padding. */
async function* fileData(abs: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(abs, 'r');
  try {
    let done = 0;
    while (done < size) {
      const buf = Buffer.alloc(Math.min(CHUNK, size - done));
      const { bytesRead } = await fh.read(buf, 0, buf.length, done);
      if (bytesRead === 0) {
        yield Buffer.alloc(size - done);
        break;
      }
      done += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
  yield tarPadding(size);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** tar-write takes names as latin1 strings of the raw bytes; file names are UTF-8. */
function latin1(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
}

/** `build -`: an archive (tar or compressed) is sent as it is; anything else is a Dockerfile. */
async function contextFromStdin(stdin: Readable, dockerfile: string | undefined): Promise<PreparedContext> {
  const head = await peek(stdin, 512);
  if (isArchive(head.bytes)) return { body: head.stream, dockerfile: dockerfile || undefined };
  if (dockerfile === '-') throw new ContextError('build context is not an archive');
  const content = await readAllStream(head.stream);
  const header: TarHeader = {
    name: 'Dockerfile',
    type: 'file',
    mode: 0o644,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    mtime: Math.floor(Date.now() / 1000),
    size: content.length,
  };
  const body = Readable.from(
    (function* () {
      yield* member(header, content);
      yield TAR_END;
    })(),
  );
  return { body, dockerfile: 'Dockerfile' };
}

/** Reads up to `n` bytes and gives back a stream that still starts at the beginning. */
async function peek(input: Readable, n: number): Promise<{ bytes: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  const it = input[Symbol.asyncIterator]();
  let ended = false;
  while (have < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
    chunks.push(b);
    have += b.length;
  }
  const bytes = Buffer.concat(chunks);
  const stream = Readable.from(
    (async function* () {
      yield bytes;
      if (ended) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as Buffer;
    })(),
  );
  return { bytes: bytes.subarray(0, n), stream };
}

/** Docker's IsArchive: a compression magic number, or a tar header with a valid checksum. */
export function isArchive(head: Buffer): boolean {
  const starts = (...sig: number[]): boolean => sig.every((v, i) => head[i] === v);
  if (
    starts(0x42, 0x5a, 0x68) ||
    starts(0x1f, 0x8b, 0x08) ||
    starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) ||
    starts(0x28, 0xb5, 0x2f, 0xfd)
  )
    return true;
  if (head.length < 512 || head.every((b) => b === 0)) return false;
  const field = head
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+/g, ' ')
    .trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : head[i]!;
  return parseInt(field, 8) === sum;
}

async function readAllStream(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}
