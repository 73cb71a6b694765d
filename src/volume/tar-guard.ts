// A pass-through for tar streams that clients send into a container (`docker
// cp` PUT). Before a header reaches GNU tar it refuses: absolute names and
// `..` components, device nodes, members below a symlink the archive itself
// created, and members whose parent path already exists in the destination
// as a symlink (GNU tar would follow it on the host; Docker's chrooted
// extraction follows it inside the container, so we refuse rather than guess).
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Forbidden, InvalidArgument } from '../api/errors.js';
import { TarReader, type TarMember } from '../image/tar-header.js';

/** Checks a member name: relative, no `..`; returns it without `./` and trailing `/`. */
export function checkMemberName(name: string): string {
  if (name.startsWith('/'))
    throw new InvalidArgument(`refusing to extract ${JSON.stringify(name)}: absolute path`);
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..')
      throw new InvalidArgument(`refusing to extract ${JSON.stringify(name)}: path contains ".."`);
    parts.push(p);
  }
  return parts.join('/');
}

export class CopyInGuard extends Transform {
  // utf8: names are checked against (and `tops` chowned on) the real disk.
  // The first zero block ends the archive for us; the rest passes through untouched.
  private readonly reader = new TarReader((m) => this.onMember(m), {
    encoding: 'utf8',
    endAtZeroBlock: true,
  });
  private readonly symlinks = new Set<string>();
  /** Directories this archive created (safe to descend without looking at the disk). */
  private readonly dirs = new Set<string>(['']);
  /** Top-level names the archive writes (for `cp -a` ownership). */
  readonly tops = new Set<string>();

  /** `dest`: the host directory GNU tar extracts into. */
  constructor(private readonly dest: string) {
    super();
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    try {
      this.scan(chunk);
    } catch (e) {
      return cb(e as Error);
    }
    cb(null, chunk);
  }

  private scan(chunk: Buffer): void {
    this.reader.feed(chunk);
  }

  private onMember(m: TarMember): void {
    const name = checkMemberName(m.name);
    if (name) this.tops.add(name.split('/')[0]);
    if (m.type === '3' || m.type === '4')
      throw new Forbidden(`refusing to extract ${JSON.stringify(m.name)}: device files are not allowed`);
    this.checkParents(name);
    if (m.type === '1') this.checkParents(checkMemberName(m.linkname) + '/x');
    if (m.type === '2') this.symlinks.add(name);
    else if (m.type === '5') this.dirs.add(name);
  }

  /** Every directory above `name` is one this archive made, or a real directory (not a symlink) on disk. */
  private checkParents(name: string): void {
    const parts = name.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = cur ? cur + '/' + parts[i] : parts[i];
      if (this.symlinks.has(cur))
        throw new InvalidArgument(
          `refusing to extract ${JSON.stringify(name)}: it is below a symlink of this archive`,
        );
      if (this.dirs.has(cur)) continue;
      try {
        if (lstatSync(path.join(this.dest, cur)).isSymbolicLink())
          throw new InvalidArgument(
            `refusing to extract ${JSON.stringify(name)}: ${cur} is a symlink in the container`,
          );
      } catch (e) {
        if (e instanceof InvalidArgument) throw e;
      }
      this.dirs.add(cur);
    }
  }
}
