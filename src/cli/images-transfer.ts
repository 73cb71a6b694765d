// Moving images in and out as archives: import (a rootfs tar → image),
// load (a `docker save` archive) and save.
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseReference } from '../image/reference.js';
import { CliError, type CliContext } from './context.js';
import { flag, type Spec } from './command-spec.js';
import { displayJsonStream, JsonMessageError } from './format/progress.js';

/** Opens a file for reading, failing like Go's os.Open ("open x: no such file or directory"). */
async function openFile(file: string): Promise<Readable> {
  try {
    const h = await fs.open(file, 'r');
    return h.createReadStream();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT'
        ? 'no such file or directory'
        : err.code === 'EACCES'
          ? 'permission denied'
          : err.message;
    throw new CliError(`open ${file}: ${why}`, 1);
  }
}

async function showStream(ctx: CliContext, body: Readable): Promise<void> {
  try {
    await displayJsonStream(body, ctx.out, {
      isTerminal: ctx.stdoutIsTTY,
      width: (ctx.out as NodeJS.WriteStream).columns,
    });
  } catch (e) {
    if (e instanceof JsonMessageError) throw new CliError(e.message, 1);
    throw e;
  }
}

async function importImage(
  ctx: CliContext,
  source: string,
  ref: string | undefined,
  changes: string[],
  message: string,
): Promise<void> {
  if (ref) {
    try {
      parseReference(ref);
    } catch (e) {
      throw new CliError((e as Error).message, 1);
    }
  }
  const isUrl = /^https?:\/\//.test(source);
  const body = source === '-' ? process.stdin : isUrl ? undefined : await openFile(source);
  const res = await ctx.client.call('POST', '/images/create', {
    query: {
      fromSrc: isUrl ? source : '-',
      repo: ref,
      tag: ref ? '' : undefined,
      message: message || undefined,
      changes,
    },
    headers: { 'Content-Type': 'application/x-tar' },
    stream: body,
  });
  await showStream(ctx, res);
}

async function loadImages(ctx: CliContext, input: string, quiet: boolean): Promise<void> {
  let body: Readable;
  if (input) body = await openFile(input);
  else {
    if (process.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty', 1);
    body = process.stdin;
  }
  const res = await ctx.client.call('POST', '/images/load', {
    query: { quiet: quiet || !ctx.stdoutIsTTY ? '1' : undefined },
    headers: { 'Content-Type': 'application/x-tar' },
    stream: body,
  });
  if (String(res.headers['content-type'] ?? '').includes('json')) await showStream(ctx, res);
  else await pipeline(res, ctx.out as NodeJS.WritableStream);
}

async function saveImages(ctx: CliContext, names: string[], output: string): Promise<void> {
  if (!output && ctx.stdoutIsTTY)
    throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  const res = await ctx.client.call('GET', '/images/get', { query: { names } });
  if (!output) {
    try {
      await pipeline(res, ctx.out as NodeJS.WritableStream, { end: false });
    } catch (e) {
      // The reader went away (`save | head`): docker dies of SIGPIPE, quietly.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') throw new CliError('', 141);
      throw e;
    }
    return;
  }
  // A temp file beside the target, renamed when complete (docker's CopyToFile).
  const dir = path.dirname(path.resolve(output));
  const tmp = path.join(dir, `.docker_temp_${process.pid}_${Date.now()}`);
  try {
    await pipeline(res, createWriteStream(tmp));
    await fs.rename(tmp, output);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new CliError(`failed to save image: ${(e as Error).message}`, 1);
  }
}

export const transferSpecs: Spec[] = [
  {
    paths: [['image', 'import'], ['import']],
    usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
    description: 'Import the contents from a tarball to create a filesystem image',
    flags: [
      flag.list('change', 'c', 'Apply Dockerfile instruction to the created image'),
      flag.string('message', 'm', 'Set commit message for imported image'),
      flag.string('platform', undefined, 'Set platform if server is multi-platform capable'),
    ],
    args: { min: 1 },
    run: (f, ctx) => importImage(ctx, f.args[0], f.args[1], f.list('change'), f.string('message')),
  },
  {
    paths: [['image', 'load'], ['load']],
    usage: '[OPTIONS]',
    description: 'Load an image from a tar archive or STDIN',
    flags: [
      flag.string('input', 'i', 'Read from tar archive file, instead of STDIN'),
      flag.bool('quiet', 'q', 'Suppress the load output'),
      flag.list('platform', undefined, 'Load only the given platform(s)'),
    ],
    args: { max: 0 },
    run: (f, ctx) => loadImages(ctx, f.string('input'), f.bool('quiet')),
  },
  {
    paths: [['image', 'save'], ['save']],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    flags: [
      flag.string('output', 'o', 'Write to a file, instead of STDOUT'),
      flag.list('platform', undefined, 'Save only the given platform(s)'),
    ],
    args: { min: 1 },
    run: (f, ctx) => saveImages(ctx, f.args, f.string('output')),
  },
];
