// Paths resolve inside a container root: symlinks never lead to the host.
// And client tars with escapes are refused before GNU tar sees them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolveInRoot } from '../../src/volume/scope.js';
import { CopyInGuard, checkMemberName } from '../../src/volume/tar-guard.js';
import { goFileMode } from '../../src/engine/archive.js';
import { tarBuffer } from '../../src/image/tar-write.js';

describe('resolveInRoot', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'berth-scope-'));
    mkdirSync(path.join(root, 'etc'));
    mkdirSync(path.join(root, 'a/b'), { recursive: true });
    symlinkSync('/', path.join(root, 'rootlink'));
    symlinkSync('/etc', path.join(root, 'abs'));
    symlinkSync('../../../../../../etc', path.join(root, 'a/b/rel'));
    symlinkSync('loop2', path.join(root, 'loop1'));
    symlinkSync('loop1', path.join(root, 'loop2'));
    symlinkSync('b', path.join(root, 'a/blink'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('absolute and relative symlinks stay under the root', async () => {
    assert.equal(await resolveInRoot(root, '/rootlink/etc/passwd'), '/etc/passwd');
    assert.equal(await resolveInRoot(root, '/abs/passwd'), '/etc/passwd');
    assert.equal(await resolveInRoot(root, '/a/b/rel/shadow'), '/etc/shadow');
    assert.equal(await resolveInRoot(root, '/../../..'), '/');
    assert.equal(await resolveInRoot(root, 'a/blink/x'), '/a/b/x');
  });
  test('the last component is kept when not following', async () => {
    assert.equal(await resolveInRoot(root, '/abs', false), '/abs');
    assert.equal(await resolveInRoot(root, '/abs', true), '/etc');
  });
  test('loops end with an error', async () => {
    await assert.rejects(resolveInRoot(root, '/loop1/x'), /too many levels of symbolic links/);
  });
});

describe('CopyInGuard', () => {
  let dest: string;
  before(() => {
    dest = mkdtempSync(path.join(os.tmpdir(), 'berth-guard-'));
    symlinkSync('/etc', path.join(dest, 'planted'));
  });
  after(() => rmSync(dest, { recursive: true, force: true }));

  const pass = async (tar: Buffer): Promise<number> => {
    let n = 0;
    await pipeline(
      Readable.from([tar]),
      new CopyInGuard(dest),
      new Writable({ write: (c: Buffer, _e, cb) => ((n += c.length), cb()) }),
    );
    return n;
  };

  test('lets a normal archive through untouched', async () => {
    const tar = tarBuffer([
      { header: { name: 'dir/', type: 'dir' } },
      { header: { name: 'dir/f', type: 'file', size: 2 }, data: Buffer.from('hi') },
      { header: { name: 'dir/l', type: 'symlink', linkname: '/etc/passwd' } },
    ]);
    assert.equal(await pass(tar), tar.length);
  });
  test('refuses .., absolute names, devices, members below links', async () => {
    await assert.rejects(
      pass(tarBuffer([{ header: { name: 'a/../../x', type: 'file', size: 0 } }])),
      /path contains ".."/,
    );
    await assert.rejects(
      pass(tarBuffer([{ header: { name: '/etc/x', type: 'file', size: 0 } }])),
      /absolute path/,
    );
    await assert.rejects(
      pass(tarBuffer([{ header: { name: 'null', type: 'char', devmajor: 1, devminor: 3 } }])),
      /device files/,
    );
    await assert.rejects(
      pass(
        tarBuffer([
          { header: { name: 'l', type: 'symlink', linkname: '/' } },
          { header: { name: 'l/etc/x', type: 'file', size: 0 } },
        ]),
      ),
      /below a symlink of this archive/,
    );
    await assert.rejects(
      pass(tarBuffer([{ header: { name: 'planted/passwd', type: 'file', size: 0 } }])),
      /is a symlink in the container/,
    );
    // A directory member replaces the planted link (GNU tar does), so below it is fine.
    await pass(
      tarBuffer([
        { header: { name: 'planted/', type: 'dir' } },
        { header: { name: 'planted/x', type: 'file', size: 0 } },
      ]),
    );
  });
  test('checkMemberName strips ./ and refuses ..', () => {
    assert.equal(checkMemberName('./a/./b/'), 'a/b');
    assert.throws(() => checkMemberName('..'), /".."/);
  });
});

test('goFileMode maps unix modes to Go os.FileMode bits', () => {
  assert.equal(goFileMode(0o040755), 2 ** 31 + 0o755);
  assert.equal(goFileMode(0o120777), 2 ** 27 + 0o777);
  assert.equal(goFileMode(0o104755), 2 ** 23 + 0o755);
  assert.equal(goFileMode(0o100644), 0o644);
});
