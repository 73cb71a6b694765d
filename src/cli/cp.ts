// `berth cp`: copies between a container and the local filesystem through
// the archive API. Like the docker CLI, the client packs and unpacks the
// tar (GNU tar here) and renames the top entry so `cp a c:/b` makes /b.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from './context.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;

/** `container:path` or a local path (a colon after a slash stays local, like docker's splitCpArg). */
function splitArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

async function statIn(ctx: CliContext, c: string, p: string): Promise<PathStat | null> {
  const res = await ctx.client.open('HEAD', `/containers/${encodeURIComponent(c)}/archive`, {
    query: { path: p },
  });
  res.resume();
  if (res.statusCode === 404) {
    const c404 = await ctx.client.open('GET', `/containers/${encodeURIComponent(c)}/json`);
    c404.resume();
    if (c404.statusCode === 404) throw new CliError(`Error response from daemon: No such container: ${c}`, 1);
    return null;
  }
  if ((res.statusCode ?? 500) >= 400) throw new CliError(`Error response from daemon: cannot stat ${p}`, 1);
  const h = res.headers['x-docker-container-path-stat'];
  return JSON.parse(Buffer.from(String(h), 'base64').toString('utf8')) as PathStat;
}

/** GNU tar over a stream; `transform` renames the top entry. */
function tar(args: string[], input: Readable | null): { done: Promise<void>; stdout: Readable } {
  const t = spawn('tar', args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let err = '';
  t.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<void>((resolve, reject) =>
    t.once('close', (code) =>
      code === 0 ? resolve() : reject(new CliError(err.trim() || `tar exited ${code}`, 1)),
    ),
  );
  if (input) void pipeline(input, t.stdin!).catch(() => undefined);
  return { done, stdout: t.stdout! };
}

const renameTop = (from: string, to: string): string[] =>
  from === to
    ? []
    : [
        `--transform=s|^${from.replace(/[|.*[\]\\^$]/g, '\\$&')}\\(/\\|$\\)|${to.replace(/[|&\\]/g, '\\$&')}\\1|`,
      ];

async function fromContainer(
  ctx: CliContext,
  c: string,
  src: string,
  dst: string,
  follow: boolean,
): Promise<void> {
  let p = src;
  const st = await statIn(ctx, c, p);
  if (!st)
    throw new CliError(`Error response from daemon: Could not find the file ${src} in container ${c}`, 1);
  if (follow && st.mode & GO_SYMLINK && st.linkTarget) p = st.linkTarget;
  const res = await ctx.client.call('GET', `/containers/${encodeURIComponent(c)}/archive`, {
    query: { path: p },
  });
  if (dst === '-') return void (await pipeline(res, ctx.out as NodeJS.WritableStream));
  const srcIsDir = (follow ? (await statIn(ctx, c, p))!.mode : st.mode) & GO_DIR;
  const contents = /\/\.$/.test(src);
  const base = contents ? '.' : path.posix.basename(p.replace(/\/+$/, '')) || '.';
  const dstExists = existsSync(dst);
  let dir: string;
  let rename: string[] = [];
  if (dstExists && statSync(dst).isDirectory()) dir = dst;
  else if (dstExists && srcIsDir) throw new CliError(`cannot copy a directory to a file: ${dst}`, 1);
  else {
    if (/\/$/.test(dst) && !srcIsDir) throw new CliError(`destination "${dst}" must be a directory`, 1);
    dir = path.dirname(path.resolve(dst));
    if (!existsSync(dir)) throw new CliError(`no such directory: ${dir}`, 1);
    rename = renameTop(base === '.' ? '\\.' : base, path.basename(dst));
    if (base === '.') {
      await import('node:fs').then((fs) => fs.mkdirSync(dst));
      dir = dst;
      rename = [];
    }
  }
  const t = tar(['-x', '-f', '-', '-C', dir, ...rename], res);
  t.stdout.resume();
  await t.done;
}

async function toContainer(
  ctx: CliContext,
  src: string,
  c: string,
  dst: string,
  follow: boolean,
  archive: boolean,
): Promise<void> {
  const put = async (dir: string, body: Readable): Promise<void> => {
    const query = { path: dir, noOverwriteDirNonDir: 'true', copyUIDGID: archive ? 'true' : undefined };
    const res = await ctx.client.call('PUT', `/containers/${encodeURIComponent(c)}/archive`, {
      query,
      stream: body,
    });
    res.resume();
  };
  if (src === '-') return put(dst, process.stdin);
  let local = path.resolve(src);
  if (!existsSync(local)) throw new CliError(`lstat ${local}: no such file or directory`, 1);
  if (follow) local = (await import('node:fs')).realpathSync(local);
  const srcIsDir = statSync(local).isDirectory();
  const contents = /\/\.$/.test(src);
  const st = await statIn(ctx, c, dst);
  let target = dst;
  let base = contents ? '.' : path.basename(local);
  let rename: string[] = [];
  if (st && st.mode & GO_DIR) target = dst;
  else if (st && srcIsDir) throw new CliError(`cannot copy a directory to a file: ${dst}`, 1);
  else {
    if (!st && /\/$/.test(dst))
      throw new CliError(`Error response from daemon: Could not find the file ${dst} in container ${c}`, 1);
    target = path.posix.dirname(dst);
    rename = renameTop(base === '.' ? '\\.' : base, path.posix.basename(dst));
    if (base === '.') rename = [`--transform=s|^\\.|${path.posix.basename(dst)}|`];
  }
  const dir = contents ? local : path.dirname(local);
  if (contents) base = '.';
  const t = tar(['-c', '-f', '-', '-C', dir, ...rename, '--', base], null);
  try {
    await Promise.all([put(target, t.stdout), t.done]);
  } catch (e) {
    if (e instanceof ApiError) throw new CliError(`Error response from daemon: ${e.message}`, 1);
    throw e;
  }
}

const specs: Spec[] = [
  {
    paths: [['cp'], ['container', 'cp']],
    usage: 'CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: 'Copy files/folders between a container and the local filesystem',
    flags: [
      flag.bool('archive', 'a', 'Archive mode (copy all uid/gid information)'),
      flag.bool('follow-link', 'L', 'Always follow symbol link in SRC_PATH'),
      flag.bool(
        'quiet',
        'q',
        'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached',
      ),
    ],
    args: { exact: 2 },
    run: async (f, ctx) => {
      const [a, b] = f.args.map(splitArg);
      if (a.container && b.container) throw new CliError('copying between containers is not supported', 1);
      if (!a.container && !b.container) throw new CliError('must specify at least one container source', 1);
      try {
        if (a.container) await fromContainer(ctx, a.container, a.path, b.path, f.bool('follow-link'));
        else await toContainer(ctx, a.path, b.container!, b.path, f.bool('follow-link'), f.bool('archive'));
      } catch (e) {
        if (e instanceof ApiError) throw new CliError(`Error response from daemon: ${e.message}`, 1);
        throw e;
      }
    },
  },
];

export function registerCpCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, specs);
}
