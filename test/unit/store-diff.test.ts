// An overlay upper directory becomes a layer tar with OCI whiteouts, and
// registering it gives back the same overlay whiteouts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContentStore } from '../../src/store/content.js';
import { openDatabase, type DB } from '../../src/store/db.js';
import { diffTar } from '../../src/store/diff.js';
import { LayerStore } from '../../src/store/layers.js';

const xattr = (op: 'get' | 'set', p: string, name: string, value = ''): string =>
  execFileSync('python3', [
    '-c',
    op === 'set'
      ? 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())'
      : 'import os,sys\ntry: print(os.getxattr(sys.argv[1], sys.argv[2]).decode())\nexcept OSError: print("")',
    p,
    name,
    value,
  ])
    .toString()
    .trim();

describe('layer diff from an overlay upper dir', () => {
  let root: string;
  let db: DB;
  let layers: LayerStore;

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'berth-store-diff-'));
    mkdirSync(path.join(root, 'data', 'tmp'), { recursive: true });
    db = openDatabase(path.join(root, 'data', 'berth.db'));
    layers = new LayerStore(
      db,
      path.join(root, 'data'),
      path.join(root, 'data', 'tmp'),
      new ContentStore(path.join(root, 'data'), path.join(root, 'data', 'tmp')),
    );
  });
  after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('char devices 0:0 become .wh. files, opaque dirs get .wh..wh..opq; the round trip restores them', async () => {
    const upper = path.join(root, 'upper');
    mkdirSync(path.join(upper, 'etc'), { recursive: true });
    writeFileSync(path.join(upper, 'etc', 'new.conf'), 'x=1\n');
    execFileSync('mknod', [path.join(upper, 'etc', 'removed'), 'c', '0', '0']);
    mkdirSync(path.join(upper, 'var', 'cache'), { recursive: true });
    xattr('set', path.join(upper, 'var', 'cache'), 'trusted.overlay.opaque', 'y');
    writeFileSync(path.join(upper, 'var', 'cache', 'fresh'), 'f');
    writeFileSync(path.join(upper, '-dash'), 'd');

    const chunks: Buffer[] = [];
    await pipeline(
      await diffTar(upper),
      new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }),
    );
    const tar = Buffer.concat(chunks);
    const file = path.join(root, 'diff.tar');
    writeFileSync(file, tar);
    const names = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    assert.deepEqual(names, [
      '-dash',
      'etc/',
      'etc/new.conf',
      'etc/.wh.removed',
      'var/',
      'var/cache/',
      'var/cache/.wh..wh..opq',
      'var/cache/fresh',
    ]);

    const l = await layers.register({ file }, null);
    const d = layers.diffDir(l.chainId);
    assert.ok(lstatSync(path.join(d, 'etc', 'removed')).isCharacterDevice());
    assert.equal(xattr('get', path.join(d, 'var', 'cache'), 'trusted.overlay.opaque'), 'y');
    assert.equal(readFileSync(path.join(d, 'etc', 'new.conf'), 'utf8'), 'x=1\n');
    assert.equal(readFileSync(path.join(d, '-dash'), 'utf8'), 'd');
  });
  test('the tar of a small directory lists its names every time (tar reads the NUL-separated list as such)', async () => {
    const up = path.join(root, 'small');
    mkdirSync(path.join(up, 'd'), { recursive: true });
    writeFileSync(path.join(up, 'd', 'f'), 'x');
    // Timing decides when tar reads its list: repeat, so an option-order slip shows.
    for (let round = 0; round < 40; round++) {
      const chunks: Buffer[] = [];
      await pipeline(
        await diffTar(up),
        new Writable({
          write(c: Buffer, _e, cb) {
            chunks.push(c);
            cb();
          },
        }),
      );
      const tarFile = path.join(root, 'small.tar');
      writeFileSync(tarFile, Buffer.concat(chunks));
      assert.deepEqual(execFileSync('tar', ['-tf', tarFile]).toString().trim().split('\n'), ['d/', 'd/f']);
    }
  });

  test('the tar of a directory with many names lists every one, every time (the name list reaches tar whole)', async () => {
    const up = path.join(root, 'many');
    for (let d = 0; d < 20; d++) {
      mkdirSync(path.join(up, `d${d}`), { recursive: true });
      for (let f = 0; f < 50; f++) writeFileSync(path.join(up, `d${d}`, `file-${f}`), `${d}/${f}`);
    }
    const tarFile = path.join(root, 'many.tar');
    for (let round = 0; round < 5; round++) {
      const chunks: Buffer[] = [];
      await pipeline(
        await diffTar(up),
        new Writable({
          write(c: Buffer, _e, cb) {
            chunks.push(c);
            cb();
          },
        }),
      );
      writeFileSync(tarFile, Buffer.concat(chunks));
      const names = execFileSync('tar', ['-tf', tarFile]).toString().trim().split('\n');
      assert.equal(names.length, 20 + 20 * 50, `round ${round}`);
      assert.ok(names.includes('d19/file-49'));
    }
  });
});
