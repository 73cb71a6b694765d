// The build context as berthd receives it: read in-process, kept in memory
// or written out, with GNU tar's result on disk, the step cache's content
// hashes without reading files, and no way out of the temp dir.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgument, SystemError } from '../../src/api/errors.js';
import { ContentHasher } from '../../src/build/cache-hash.js';
import { extractContext, type BuildContext } from '../../src/build/context-extract.js';
import { resolveSources } from '../../src/build/copy.js';
import { tarBuffer } from '../../src/image/tar-write.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-ctx-extract-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh tmp root for one extraction (so "nothing left behind" is checkable). */
function root(name: string): string {
  const r = path.join(tmp, name);
  mkdirSync(r);
  return r;
}

function sh(cmd: string, args: string[], cwd?: string): Buffer {
  const r = spawnSync(cmd, args, { cwd, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Source tree with what a context can hold: modes, nested and restrictive dirs, links of every kind. */
function sourceTree(): string {
  const src = path.join(tmp, 'src');
  if (existsSync(src)) return src;
  mkdirSync(path.join(src, 'sub/deep'), { recursive: true });
  mkdirSync(path.join(src, 'locked'));
  writeFileSync(path.join(src, 'Dockerfile'), 'FROM busybox\nCOPY . /c/\n');
  writeFileSync(path.join(src, 'a.txt'), 'hello\n');
  writeFileSync(path.join(src, 'empty'), '');
  writeFileSync(path.join(src, 'sub/deep/big.bin'), Buffer.alloc(300_000, 7));
  writeFileSync(path.join(src, 'locked/secret'), 's');
  writeFileSync(path.join(src, 'tool'), '#!/bin/sh\n');
  chmodSync(path.join(src, 'tool'), 0o4755);
  chmodSync(path.join(src, 'a.txt'), 0o600);
  linkSync(path.join(src, 'a.txt'), path.join(src, 'sub/hard'));
  symlinkSync('a.txt', path.join(src, 'inside'));
  symlinkSync('/etc/shadow', path.join(src, 'abs-out'));
  symlinkSync('../../outside', path.join(src, 'sub/rel-out'));
  chmodSync(path.join(src, 'locked'), 0o500);
  for (const p of ['a.txt', 'sub/deep/big.bin', 'sub', 'locked', 'sub/deep'])
    utimesSync(path.join(src, p), 1_600_000_000, 1_600_000_000 + p.length);
  return src;
}

/** Every entry under `dir`: type, permission bits, size, mtime, link target, content digest. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(dir, r);
      const st = lstatSync(p);
      const perm = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`l ${r} ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`d ${r} ${perm} ${Math.floor(st.mtimeMs / 1000)}`);
        walk(r);
      } else {
        const sum = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
        out.push(`f ${r} ${perm} ${st.size} ${Math.floor(st.mtimeMs / 1000)} ${sum} n${st.nlink}`);
      }
    }
  };
  walk('');
  return out;
}

async function receive(
  body: Buffer,
  tmpRoot: string,
  opts: { memoryBudget?: number } = {},
): Promise<BuildContext> {
  // Small chunks, so members and headers straddle chunk boundaries.
  const chunks: Buffer[] = [];
  for (let i = 0; i < body.length; i += 7001) chunks.push(body.subarray(i, i + 7001));
  return extractContext(Readable.from(chunks), tmpRoot, undefined, opts);
}

/** The step cache's hash of context sources, read from disk (what the executor did before). */
async function diskHash(ctx: BuildContext, words: string[]): Promise<string> {
  const sources = await resolveSources(ctx.dir, words, 'COPY', true);
  return new ContentHasher().hashSources(sources);
}

describe('build context: received in-process', () => {
  for (const format of ['pax', 'gnu']) {
    for (const budget of [64 << 20, 100_000]) {
      const mode = budget > 1e6 ? 'kept in memory, then written' : 'written while it arrives';
      it(`leaves what GNU tar leaves (${format} archive, ${mode})`, async () => {
        const src = sourceTree();
        const tarFile = path.join(tmp, `ctx-${format}.tar`);
        sh('tar', ['-cf', tarFile, `--format=${format}`, '-C', src, '.']);
        const byTar = path.join(tmp, `by-tar-${format}-${budget}`);
        mkdirSync(byTar);
        chmodSync(byTar, 0o700);
        sh('tar', ['-xf', tarFile, '-C', byTar, '--no-same-owner', '--same-permissions', '--no-overwrite-dir']);
        const r = root(`same-${format}-${budget}`);
        const ctx = await receive(readFileSync(tarFile), r, { memoryBudget: budget });
        await ctx.materialize();
        assert.deepEqual(listing(ctx.dir), listing(byTar));
        // Contents hashed as they arrived, hard link included.
        const want = createHash('sha256').update('hello\n').digest('hex');
        assert.equal(ctx.digestOf(path.join(ctx.dir, 'a.txt')), want);
        assert.equal(ctx.digestOf(path.join(ctx.dir, 'sub/hard')), want);
        await ctx.remove();
        assert.deepEqual(readdirSync(r), []);
      });
    }
  }

  it('gives the cache keys from memory that the files on disk give, and writes nothing for them', async () => {
    const src = path.join(tmp, 'plain');
    mkdirSync(path.join(src, 'tree/d0'), { recursive: true });
    mkdirSync(path.join(src, 'tree/d1'), { recursive: true });
    writeFileSync(path.join(src, 'Dockerfile'), 'FROM busybox\n');
    writeFileSync(path.join(src, '.dockerignore'), 'Dockerfile\n.dockerignore\n');
    writeFileSync(path.join(src, 'tree/d0/f0'), 'zero');
    writeFileSync(path.join(src, 'tree/d1/f1'), Buffer.alloc(70_000, 1));
    chmodSync(path.join(src, 'tree/d1/f1'), 0o640);
    chmodSync(path.join(src, 'tree/d0/f0'), 0o4750);
    chmodSync(path.join(src, 'tree/d1'), 0o750);
    symlinkSync('d0/f0', path.join(src, 'tree/ln'));
    // Members without their directories: those are made implicitly, as tar makes them.
    const tarFile = path.join(tmp, 'plain.tar');
    sh('tar', ['-cf', tarFile, '-C', src, '--no-recursion', 'Dockerfile', '.dockerignore', 'tree/d0/f0', 'tree', 'tree/d1', 'tree/d1/f1', 'tree/ln']);
    const ctx = await receive(readFileSync(tarFile), root('model'));
    const df = await ctx.dockerfile(undefined);
    assert.deepEqual(df, { rel: 'Dockerfile', text: 'FROM busybox\n' });
    assert.equal(await ctx.readText('.dockerignore'), 'Dockerfile\n.dockerignore\n');
    assert.equal(await ctx.readText('nope'), undefined);
    await ctx.drop('Dockerfile');
    await ctx.drop('.dockerignore');
    const words = [['.'], ['tree'], ['tree/d1/f1', 'tree/d0'], ['/tree/d0/']];
    const model = words.map((w) => ctx.hashSources(w));
    assert.ok(model.every((m) => m !== null));
    assert.deepEqual(
      model.map((m) => m!.kind),
      ['dir', 'dir', 'multi', 'dir'],
    );
    assert.deepEqual(readdirSync(ctx.dir), [], 'nothing was written yet');
    // Globs and symlinks need the disk.
    assert.equal(ctx.hashSources(['tree/*']), null);
    assert.equal(ctx.hashSources(['tree/ln']), null);
    await ctx.materialize();
    assert.ok(!existsSync(path.join(ctx.dir, 'Dockerfile')) && !existsSync(path.join(ctx.dir, '.dockerignore')));
    for (let i = 0; i < words.length; i++) assert.equal(model[i]!.hash, await diskHash(ctx, words[i]), words[i].join(' '));
    await ctx.remove();
  });

  it('finds the Dockerfile: lowercase fallback, a symlinked one through the disk, a clear error when absent', async () => {
    const lower = await receive(
      tarBuffer([{ header: { name: 'dockerfile', type: 'file', mode: 0o644 }, data: Buffer.from('FROM a\n') }]),
      root('df-lower'),
    );
    assert.deepEqual(await lower.dockerfile(undefined), { rel: 'dockerfile', text: 'FROM a\n' });
    await assert.rejects(lower.dockerfile('Other'), (e: unknown) => e instanceof SystemError && /Cannot locate specified Dockerfile: Other/.test((e as Error).message));
    await lower.remove();
    const linked = await receive(
      tarBuffer([
        { header: { name: 'real.df', type: 'file', mode: 0o644 }, data: Buffer.from('FROM b\n') },
        { header: { name: 'Dockerfile', type: 'symlink', linkname: 'real.df' } },
      ]),
      root('df-link'),
    );
    assert.deepEqual(await linked.dockerfile(undefined), { rel: 'real.df', text: 'FROM b\n' });
    await linked.remove();
  });

  it('writes nothing outside: .. members skipped, / stripped, no write through a symlink', async () => {
    const outside = path.join(tmp, 'outside-target');
    mkdirSync(outside);
    for (const budget of [64 << 20, 0]) {
      const body = tarBuffer([
        { header: { name: '../escape', type: 'file', mode: 0o644 }, data: Buffer.from('x') },
        { header: { name: 'a/../../escape2', type: 'file', mode: 0o644 }, data: Buffer.from('x') },
        { header: { name: '/abs/file', type: 'file', mode: 0o644 }, data: Buffer.from('y') },
        { header: { name: 'ln', type: 'symlink', linkname: outside } },
        { header: { name: 'ln/pwned', type: 'file', mode: 0o644 }, data: Buffer.from('z') },
        { header: { name: 'ln2', type: 'symlink', linkname: outside } },
        { header: { name: 'hl', type: 'link', linkname: '../escape' } },
        { header: { name: 'ln2/sub', type: 'symlink', linkname: '/etc' } },
      ]);
      const r = root(`evil-${budget}`);
      const ctx = await receive(body, r, { memoryBudget: budget });
      await ctx.materialize();
      assert.deepEqual(readdirSync(outside), []);
      assert.ok(!existsSync(path.join(r, 'escape')) && !existsSync(path.join(tmp, 'escape')));
      assert.equal(readFileSync(path.join(ctx.dir, 'abs/file'), 'utf8'), 'y');
      // A later member below a link that was never made turns it into a directory.
      assert.equal(readFileSync(path.join(ctx.dir, 'ln/pwned'), 'utf8'), 'z');
      assert.equal(readlinkSync(path.join(ctx.dir, 'ln2')), outside);
      assert.ok(!existsSync(path.join(ctx.dir, 'hl')));
      await ctx.remove();
    }
  });

  it('accepts gzip, bzip2 and xz contexts', async () => {
    const tarFile = path.join(tmp, 'z.tar');
    writeFileSync(
      tarFile,
      tarBuffer([{ header: { name: 'Dockerfile', type: 'file', mode: 0o644 }, data: Buffer.from('FROM z\n') }]),
    );
    for (const tool of ['gzip', 'bzip2', 'xz']) {
      const ctx = await receive(sh(tool, ['-c', tarFile]), root(`z-${tool}`));
      assert.equal((await ctx.dockerfile(undefined)).text, 'FROM z\n', tool);
      await ctx.remove();
    }
  });

  it('refuses a truncated, a garbage or a corrupt compressed body with a clear error and leaves nothing', async () => {
    const full = tarBuffer([
      { header: { name: 'Dockerfile', type: 'file', mode: 0o644 }, data: Buffer.alloc(5000, 65) },
    ]);
    const cases: [string, Buffer, RegExp][] = [
      ['truncated', full.subarray(0, 2048), /failed to read the build context: Unexpected EOF in archive/],
      ['garbage', Buffer.alloc(4096, 'not a tar '), /failed to read the build context: This does not look like a tar archive/],
      ['bad gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4]), /failed to read the build context: /],
      ['bad xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(100, 9)]), /failed to read the build context: xz/],
    ];
    for (const [name, body, re] of cases) {
      for (const budget of [64 << 20, 0]) {
        const r = root(`bad-${name.replace(' ', '-')}-${budget}`);
        await assert.rejects(receive(body, r, { memoryBudget: budget }), (e: unknown) => {
          assert.ok(e instanceof InvalidArgument, `${name}: ${String(e)}`);
          assert.match((e as Error).message, re);
          return true;
        });
        assert.deepEqual(readdirSync(r), [], name);
      }
    }
  });
});
