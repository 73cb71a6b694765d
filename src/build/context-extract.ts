// Server side of the build context: the tar the client sends (plain, gzip,
// bzip2 or xz) is unpacked into a private temp dir with GNU tar, which never
// writes outside it: members with `..` are skipped, leading `/` is stripped,
// and a symlink that points outside (absolute or through `..`) is stored
// as a symlink the executor never follows (COPY copies it as a link).
import { spawn } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument, SystemError } from '../api/errors.js';
import { decompressor, detectCompression, peek } from '../store/decompress.js';

export interface BuildContext {
  /** The unpacked context (real path). */
  dir: string;
  /** Removes the temp dir; safe to call more than once. */
  remove(): Promise<void>;
}

/** Unpacks `body` into a new dir under `tmpRoot`; on any failure nothing is left behind. */
export async function extractContext(
  body: Readable,
  tmpRoot: string,
  signal?: AbortSignal,
): Promise<BuildContext> {
  const dir = mkdtempSync(path.join(tmpRoot, 'build-ctx-'));
  const remove = (): Promise<void> => fs.rm(dir, { recursive: true, force: true });
  try {
    const head = await peek(body, 6);
    const plain = head.length ? body.pipe(decompressor(detectCompression(head))) : body;
    // --no-same-owner: files belong to root whatever the client's uids (COPY sets owners itself).
    const tar = spawn(
      'tar',
      [
        '-x',
        '-f',
        '-',
        '-C',
        dir,
        '--no-same-owner',
        '--same-permissions',
        '--no-overwrite-dir',
        '--warning=no-unknown-keyword',
      ],
      { stdio: ['pipe', 'ignore', 'pipe'], signal },
    );
    let stderr = '';
    tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number>((resolve, reject) => {
      tar.once('error', reject);
      tar.once('close', (code) => resolve(code ?? 1));
    });
    if (head.length)
      await pipeline(plain, tar.stdin).catch((e) => {
        // tar stops reading at the end-of-archive blocks: the rest of the body is not needed.
        if (!['EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes((e as NodeJS.ErrnoException).code ?? ''))
          throw e;
      });
    else tar.stdin.end();
    const code = await exited;
    if (code !== 0 && head.length) {
      // An exit of 2 with only skipped members (`..`) is tar refusing unsafe names: the rest is there.
      const fatal = stderr
        .split('\n')
        .filter(
          (l) =>
            l &&
            !/contains [`']\.\.'|Removing leading|Skipping to next header|Exiting with failure status/.test(
              l,
            ),
        );
      if (fatal.length)
        throw new InvalidArgument(`failed to read the build context: ${fatal[0].replace(/^tar: /, '')}`);
    }
    return { dir: await fs.realpath(dir), remove };
  } catch (e) {
    await remove();
    throw e;
  }
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
