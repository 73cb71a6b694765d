// `docker cp`: stat (HEAD), read (GET) and write (PUT) paths in a container
// through /containers/{id}/archive. Paths resolve inside the container's
// root (volumes and binds included), never reaching the host; the tar for a
// read comes from GNU tar, and a client's tar is checked member by member
// (CopyInGuard) before GNU tar extracts it, with the container paused.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { promises as fs, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Forbidden, InvalidArgument, NotFound } from '../api/errors.js';
import { resolveUser } from '../runtime/user.js';
import { CopyInGuard } from '../volume/tar-guard.js';
import { Rechunk } from '../store/rechunk.js';
import { ARCHIVE_IN, ARCHIVE_OUT, tarProcess } from '../store/tar-process.js';
import { TAR_PIPE_FLAGS } from '../store/unpack.js';
import { resolveInRoot, TooManyLinks } from '../volume/scope.js';
import { withContainerRoot } from './archive-view.js';
import type { ContainerService } from './containers.js';
import type { ContainerRecord } from './containers-model.js';

const run = promisify(execFile);

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

// Go's os.FileMode type bits, as the CLI decodes them.
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHARDEV = 2 ** 21;
const GO_STICKY = 2 ** 20;

export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  switch (mode & 0o170000) {
    case 0o040000:
      m += GO_DIR;
      break;
    case 0o120000:
      m += GO_SYMLINK;
      break;
    case 0o010000:
      m += GO_PIPE;
      break;
    case 0o140000:
      m += GO_SOCKET;
      break;
    case 0o020000:
      m += GO_DEVICE + GO_CHARDEV;
      break;
    case 0o060000:
      m += GO_DEVICE;
      break;
  }
  if (mode & 0o4000) m += GO_SETUID;
  if (mode & 0o2000) m += GO_SETGID;
  if (mode & 0o1000) m += GO_STICKY;
  return m;
}

function rfc3339Nano(st: BigIntStats): string {
  const ns = st.mtimeNs;
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return new Date(Number(secs) * 1000).toISOString().replace(/\.\d{3}Z$/, frac ? `.${frac}Z` : 'Z');
}

/** The path as the client gave it, made absolute; a trailing `/` or `/.` is kept (it means "the directory's contents"). */
function absolute(p: string): string {
  if (!p) throw new InvalidArgument('path cannot be empty');
  return p.startsWith('/') ? p : '/' + p;
}

export class ContainerFiles {
  constructor(readonly containers: ContainerService) {}

  private notFound(p: string, ref: string): NotFound {
    return new NotFound(`Could not find the file ${p} in container ${ref}`);
  }

  private async statIn(
    root: string,
    abs: string,
    ref: string,
  ): Promise<{ stat: PathStat; resolved: string; st: BigIntStats }> {
    let resolved: string;
    try {
      resolved = await resolveInRoot(root, abs, false);
    } catch (e) {
      if (e instanceof TooManyLinks) throw new InvalidArgument(e.message);
      throw e;
    }
    let st: BigIntStats;
    try {
      st = await fs.lstat(path.join(root, resolved), { bigint: true });
    } catch {
      throw this.notFound(abs, ref);
    }
    if (/\/\.?$/.test(abs) && abs !== '/' && !st.isDirectory() && !st.isSymbolicLink())
      throw new InvalidArgument(`not a directory: ${abs}`);
    const linkTarget = st.isSymbolicLink() ? await resolveInRoot(root, abs, true) : '';
    const base = path.posix.basename(abs.replace(/\/\.?$/, '')) || '/';
    return {
      stat: {
        name: base,
        size: Number(st.size),
        mode: goFileMode(Number(st.mode)),
        mtime: rfc3339Nano(st),
        linkTarget,
      },
      resolved,
      st,
    };
  }

  async stat(ref: string, p: string): Promise<PathStat> {
    const c = this.containers.find(ref);
    return withContainerRoot(
      this.containers,
      c,
      { withMounts: true },
      async (root) => (await this.statIn(root, absolute(p), ref)).stat,
    );
  }

  /**
   * Streams a tar of `p` (named by its base name, or `.` for `dir/.`) to
   * `open(stat)`'s writable; resolves when it is written.
   */
  async get(ref: string, p: string, open: (stat: PathStat) => NodeJS.WritableStream): Promise<void> {
    const c = this.containers.find(ref);
    const abs = absolute(p);
    await withContainerRoot(this.containers, c, { withMounts: true }, async (root) => {
      const { stat, resolved } = await this.statIn(root, abs, ref);
      const dotted = abs.endsWith('/.');
      const dir =
        dotted || resolved === '/'
          ? path.join(root, resolved)
          : path.join(root, path.posix.dirname(resolved));
      const base = dotted || resolved === '/' ? '.' : path.posix.basename(resolved);
      const out = open(stat);
      await tarOut(dir, [base], out);
    });
  }

  /** Extracts a client's tar into the directory `p` (followed through symlinks, inside the container). */
  async put(
    ref: string,
    p: string,
    body: Readable,
    opts: { noOverwriteDirNonDir: boolean; copyUIDGID?: boolean },
  ): Promise<void> {
    const c = this.containers.find(ref);
    const abs = absolute(p);
    await withContainerRoot(this.containers, c, { withMounts: true }, async (root, running) => {
      const resolved = await resolveInRoot(root, abs, true).catch((e) => {
        throw e instanceof TooManyLinks ? new InvalidArgument(e.message) : e;
      });
      const dest = path.join(root, resolved);
      const st = await fs.stat(dest).catch(() => null);
      if (!st) throw this.notFound(abs, ref);
      if (!st.isDirectory()) throw new InvalidArgument('extraction point is not a directory');
      checkWritable(c, resolved);
      // A paused container cannot swap a checked directory for a symlink mid-extraction.
      const pause = running && !c.state.Paused;
      if (pause) await this.containers.runtime.pause(c.id);
      try {
        const tops = await tarIn(dest, body, opts.noOverwriteDirNonDir);
        // `cp -a`: files belong to the container's user (root when it has none), like dockerd.
        if (opts.copyUIDGID && tops.length) {
          const u = c.config.User ? resolveUser(root, c.config.User) : { uid: 0, gid: 0 };
          await run('chown', ['-R', '-h', `${u.uid}:${u.gid}`, '--', ...tops.map((t) => path.join(dest, t))]);
        }
      } finally {
        if (pause) await this.containers.runtime.resume(c.id).catch(() => undefined);
      }
    });
  }
}

/** Docker's read-only refusals: a read-only mount over the path, or a read-only rootfs. */
function checkWritable(c: ContainerRecord, resolved: string): void {
  const under = (c.mounts ?? [])
    .filter((m) => resolved === m.Destination || resolved.startsWith(m.Destination + '/'))
    .sort((a, b) => b.Destination.length - a.Destination.length)[0];
  if (under) {
    if (!under.RW) throw new Forbidden('mounted volume is marked read-only');
    return;
  }
  if (c.hostConfig.ReadonlyRootfs) throw new Forbidden('container rootfs is marked read-only');
}

/** GNU tar of `names` under `dir` into `out` (numeric owners, xattrs kept). */
export async function tarOut(
  dir: string,
  names: string[],
  out: NodeJS.WritableStream,
  extra: string[] = [],
): Promise<void> {
  const tar = tarProcess([
    '-C',
    dir,
    '-c',
    '-f',
    ARCHIVE_OUT,
    // 64 KiB records (GNU tar's default is 10 KiB): 6× fewer pipe writes and
    // response chunks; the archive is padded to 64 KiB instead of 10 KiB.
    '-b',
    '128',
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    ...extra,
    '--null',
    '--verbatim-files-from',
    '-T',
    ARCHIVE_IN,
  ]);
  tar.input.on('error', () => undefined);
  tar.input.end(names.map((n) => n + '\0').join(''));
  try {
    await pipeline(tar.output!, out as NodeJS.WritableStream);
  } catch (e) {
    tar.kill();
    throw e;
  }
  const { code, stderr } = await tar.exit;
  // 1: "file changed as we read it" — a running container writes while we read.
  if (code > 1) throw new Error(`tar: ${stderr.trim()}`);
}

/** Extracts a checked client tar into `dest`; returns the top-level names it wrote. */
async function tarIn(dest: string, body: Readable, noOverwriteDirNonDir: boolean): Promise<string[]> {
  const args: Parameters<typeof tarProcess>[0] = [
    '-C',
    dest,
    '-x',
    '-f',
    ARCHIVE_IN,
    ...TAR_PIPE_FLAGS,
    '--numeric-owner',
    '--same-owner',
    '--same-permissions',
    '--xattrs',
    '--xattrs-include=*',
  ];
  // GNU tar replaces a directory by a file only with --recursive-unlink; it refuses by default, like noOverwriteDirNonDir.
  if (!noOverwriteDirNonDir) args.push('--recursive-unlink');
  const tar = tarProcess(args);
  const guard = new CopyInGuard(dest);
  try {
    await pipeline(body, new Rechunk(), guard, untilTarExits(tar.input));
  } catch (e) {
    tar.kill();
    await tar.exit.catch(() => undefined);
    throw e;
  }
  const { code, stderr } = await tar.exit;
  if (code !== 0) throw new InvalidArgument(`error extracting tar: ${stderr.trim().split('\n')[0]}`);
  return [...guard.tops];
}

/**
 * Writes into tar's stdin until tar closes it, then drops the rest. GNU tar
 * exits as soon as it has read the end-of-archive record, and with a GNU tar
 * client (whole 10 KiB records) that can come before the request's last
 * chunk: the body must still be read to its end, and that is no error (tar's
 * exit code tells whether the archive was whole).
 */
function untilTarExits(stdin: Writable): Writable {
  let gone = false;
  let pending: (() => void) | null = null;
  const release = (): void => {
    const cb = pending;
    pending = null;
    cb?.();
  };
  const drop = (): void => {
    gone = true;
    release();
  };
  stdin.once('close', drop);
  stdin.on('error', drop);
  stdin.on('drain', release);
  return new Writable({
    // Back-pressure by 'drain', not by each write's callback: the next chunk
    // is taken while tar still reads this one.
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      if (gone || stdin.write(chunk)) return cb();
      pending = () => cb();
    },
    final(cb) {
      if (!gone) stdin.end();
      cb();
    },
    destroy(err, cb) {
      if (!gone) stdin.destroy();
      cb(err);
    },
  });
}
