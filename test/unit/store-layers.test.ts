// The layer store's contract, on real GNU tar: digests and chain IDs,
// compression detection, metadata kept, overlay whiteouts, hostile archives
// refused without writing outside the layer, release of unused layers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { chainId } from '../../src/image/chain.js';
import { tarBuffer, type TarHeader } from '../../src/image/tar-write.js';
import { ContentStore } from '../../src/store/content.js';
import { openDatabase, type DB } from '../../src/store/db.js';
import { LayerStore } from '../../src/store/layers.js';

const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const file = (
  name: string,
  data: string,
  extra: Partial<TarHeader> = {},
): { header: TarHeader; data: Buffer } => ({
  header: { name, type: 'file', mode: 0o644, mtime: 1_600_000_000, ...extra },
  data: Buffer.from(data),
});
const dir = (name: string, extra: Partial<TarHeader> = {}): { header: TarHeader } => ({
  header: { name, type: 'dir', mode: 0o755, mtime: 1_600_000_000, ...extra },
});
const getxattr = (p: string, name: string): string | null => {
  const r = spawnSync('python3', [
    '-c',
    'import os,sys\ntry: print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())\nexcept OSError: print("<none>")',
    p,
    name,
  ]);
  const out = r.stdout.toString().trim();
  return out === '<none>' ? null : out;
};

describe('layer store', () => {
  let root: string;
  let outside: string;
  let db: DB;
  let layers: LayerStore;
  let content: ContentStore;

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'berth-store-layers-'));
    outside = path.join(root, 'outside');
    mkdirSync(outside);
    mkdirSync(path.join(root, 'data', 'tmp'), { recursive: true });
    db = openDatabase(path.join(root, 'data', 'berth.db'));
    content = new ContentStore(path.join(root, 'data'), path.join(root, 'data', 'tmp'));
    layers = new LayerStore(db, path.join(root, 'data'), path.join(root, 'data', 'tmp'), content);
  });
  after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a plain tar: diff ID and blob are the tar digest; files, owners, modes, mtimes and xattrs are kept', async () => {
    const tar = tarBuffer([
      dir('etc'),
      file('etc/hosts', 'hello\n', { uid: 1234, gid: 5678, mode: 0o4750 }),
      { header: { name: 'etc/link', type: 'symlink', linkname: 'hosts', mtime: 1_600_000_000 } },
      file('x', 'cap', { xattrs: { 'user.berth': 'yes' } }),
    ]);
    const l = await layers.register(Readable.from([tar]), null);
    assert.equal(l.diffId, sha(tar));
    assert.equal(l.chainId, l.diffId);
    assert.equal(l.blob, sha(tar));
    assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    assert.equal(l.size, 6 + 3);
    const d = layers.diffDir(l.chainId);
    assert.equal(readFileSync(path.join(d, 'etc/hosts'), 'utf8'), 'hello\n');
    const st = lstatSync(path.join(d, 'etc/hosts'));
    assert.equal(st.uid, 1234);
    assert.equal(st.gid, 5678);
    assert.equal(st.mode & 0o7777, 0o4750);
    assert.equal(Math.floor(st.mtimeMs / 1000), 1_600_000_000);
    assert.equal(Math.floor(lstatSync(path.join(d, 'etc')).mtimeMs / 1000), 1_600_000_000);
    assert.ok(lstatSync(path.join(d, 'etc/link')).isSymbolicLink());
    assert.equal(getxattr(path.join(d, 'x'), 'user.berth'), 'yes');
    assert.ok(readFileSync(content.path(l.blob)).equals(tar), 'the original blob is kept');
    assert.deepEqual(readdirSync(path.join(root, 'data', 'tmp')), []);
  });

  test('gzip and zstd layers are detected by magic bytes; the diff ID is of the plain tar', async () => {
    const tar = tarBuffer([file('gz', 'zipped')]);
    const gz = gzipSync(tar);
    const lg = await layers.register(Readable.from([gz]), null);
    assert.equal(lg.diffId, sha(tar));
    assert.equal(lg.blob, sha(gz));
    assert.equal(lg.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    assert.equal(readFileSync(path.join(layers.diffDir(lg.chainId), 'gz'), 'utf8'), 'zipped');

    const tar2 = tarBuffer([file('zs', 'zstd')]);
    const zst = execFileSync('zstd', ['-q', '-c'], { input: tar2 });
    const lz = await layers.register(Readable.from([zst]), null);
    assert.equal(lz.diffId, sha(tar2));
    assert.equal(lz.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
    assert.equal(readFileSync(path.join(layers.diffDir(lz.chainId), 'zs'), 'utf8'), 'zstd');
  });

  test('OCI whiteouts become overlay whiteouts; parents and lowerDirs follow the chain', async () => {
    const base = await layers.register(
      Readable.from([tarBuffer([dir('d'), file('d/a', 'a'), file('gone', 'g')])]),
      null,
    );
    const top = tarBuffer([
      dir('d', { mode: 0o700, mtime: 1_500_000_000 }),
      file('d/.wh..wh..opq', ''),
      file('d/new', 'n'),
      file('.wh.gone', ''),
    ]);
    const l = await layers.register(Readable.from([top]), base.chainId);
    assert.equal(l.parent, base.chainId);
    assert.equal(l.chainId, chainId(base.chainId, sha(top)));
    const d = layers.diffDir(l.chainId);
    const wh = lstatSync(path.join(d, 'gone'));
    assert.ok(wh.isCharacterDevice(), 'whiteout is a character device');
    assert.equal(wh.rdev, 0);
    assert.equal(getxattr(path.join(d, 'd'), 'trusted.overlay.opaque'), 'y');
    assert.ok(!existsSync(path.join(d, '.wh.gone')));
    assert.ok(!existsSync(path.join(d, 'd/.wh..wh..opq')));
    const dst = lstatSync(path.join(d, 'd'));
    assert.equal(dst.mode & 0o7777, 0o700);
    assert.equal(Math.floor(dst.mtimeMs / 1000), 1_500_000_000, 'directory mtime restored after pass 2');
    assert.deepEqual(layers.lowerDirs(l.chainId), [d, layers.diffDir(base.chainId)]);
  });

  const hostile: [string, Buffer][] = [
    ['symlink to an outside dir, then a write through it', Buffer.alloc(0)],
    ['symlink chain through a relative link', Buffer.alloc(0)],
    ['.. in a member name', Buffer.alloc(0)],
    ['hard link through a symlink', Buffer.alloc(0)],
  ];
  before(() => {
    hostile[0][1] = tarBuffer([
      { header: { name: 'a', type: 'symlink', linkname: outside } },
      file('a/pwned', 'x'),
    ]);
    hostile[1][1] = tarBuffer([
      { header: { name: 'up', type: 'symlink', linkname: '../../../../../../../../..' + outside } },
      dir('up'),
      file('up/pwned', 'x'),
    ]);
    hostile[2][1] = tarBuffer([file('../../../../../../../../..' + outside + '/pwned', 'x')]);
    hostile[3][1] = tarBuffer([
      { header: { name: 'a', type: 'symlink', linkname: outside } },
      file('f', 'x'),
      { header: { name: 'a/pwned', type: 'link', linkname: 'f' } },
    ]);
  });
  for (const [i, [name]] of hostile.entries()) {
    test(`hostile tar refused: ${name}`, async () => {
      await assert.rejects(layers.register(Readable.from([hostile[i][1]]), null), /refusing to extract/);
      assert.deepEqual(readdirSync(outside), [], 'nothing written outside the layer');
      assert.deepEqual(readdirSync(path.join(root, 'data', 'tmp')), [], 'no temp files left');
    });
  }

  // Layers stream into tar as they arrive: a bad header arriving after tar
  // already extracted the members before it must still never reach tar.
  const blocks = (buf: Buffer, n: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < buf.length; i += n) out.push(buf.subarray(i, i + n));
    return out;
  };
  for (const [i, [name]] of hostile.entries()) {
    test(`hostile tar refused when it arrives block by block (plain and gzip): ${name}`, async () => {
      const gz = gzipSync(hostile[i][1]);
      for (const chunks of [blocks(hostile[i][1], 512), blocks(gz, 64)]) {
        const source = Readable.from(chunks, { objectMode: false, highWaterMark: 512 });
        await assert.rejects(layers.register(source, null), /refusing to extract/);
        assert.deepEqual(readdirSync(outside), [], 'nothing written outside the layer');
        assert.deepEqual(readdirSync(path.join(root, 'data', 'tmp')), [], 'no temp files left');
      }
    });
  }

  test('layers given as files (docker load) go through the same checks; the file itself is kept as the blob', async () => {
    const good = path.join(root, 'good.tar.gz');
    const tar = tarBuffer([file('from-file', 'f')]);
    writeFileSync(good, gzipSync(tar));
    const l = await layers.register({ file: good }, null);
    assert.equal(l.diffId, sha(tar));
    assert.equal(l.blob, sha(readFileSync(good)));
    assert.equal(readFileSync(path.join(layers.diffDir(l.chainId), 'from-file'), 'utf8'), 'f');
    const evil = path.join(root, 'evil.tar');
    writeFileSync(evil, hostile[0][1]);
    await assert.rejects(layers.register({ file: evil }, null), /refusing to extract/);
    assert.deepEqual(readdirSync(outside), []);
    assert.deepEqual(readdirSync(path.join(root, 'data', 'tmp')), []);
  });

  test('an absolute member name lands inside the layer', async () => {
    const l = await layers.register(Readable.from([tarBuffer([file(outside + '/abs', 'inside')])]), null);
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(readFileSync(path.join(layers.diffDir(l.chainId), outside, 'abs'), 'utf8'), 'inside');
  });

  test('a hostile archive made by another tool (python tarfile) is refused too', async () => {
    const py = `import tarfile,io,sys
t=tarfile.open(fileobj=sys.stdout.buffer,mode='w|')
s=tarfile.TarInfo('evil'); s.type=tarfile.SYMTYPE; s.linkname=sys.argv[1]; t.addfile(s)
f=tarfile.TarInfo('evil/passwd'); d=b'root::0:0::/:/bin/sh\\n'; f.size=len(d); t.addfile(f, io.BytesIO(d))
t.close()`;
    const tar = execFileSync('python3', ['-c', py, outside]);
    await assert.rejects(layers.register(Readable.from([tar]), null), /refusing to extract/);
    assert.deepEqual(readdirSync(outside), []);
  });

  test('concurrent registers of the same content agree on one layer', async () => {
    const tar = tarBuffer([file('same', 'x'.repeat(50_000))]);
    const [x, y, z] = await Promise.all([0, 1, 2].map(() => layers.register(Readable.from([tar]), null)));
    assert.equal(x.chainId, y.chainId);
    assert.equal(y.chainId, z.chainId);
    assert.equal(readFileSync(path.join(layers.diffDir(x.chainId), 'same'), 'utf8').length, 50_000);
    assert.deepEqual(readdirSync(path.join(root, 'data', 'tmp')), []);
  });

  test('release removes unused layers, their directories, rows and blobs, down the chain', async () => {
    const a = await layers.register(Readable.from([tarBuffer([file('r1', '1')])]), null);
    const b = await layers.register(Readable.from([tarBuffer([file('r2', '2')])]), a.chainId);
    assert.deepEqual(
      await layers.release(b.chainId),
      [],
      'layers pending in this process (no image yet) are kept',
    );
    layers.settle([a.chainId, b.chainId]);
    const removed = await layers.release(b.chainId);
    assert.deepEqual(removed, [b.chainId, a.chainId]);
    assert.equal(layers.get(a.chainId), undefined);
    assert.ok(!existsSync(path.dirname(layers.diffDir(a.chainId))));
    assert.ok(!(await content.has(a.blob)));
  });

  test('after a crash: layers no image claims and directories without rows are removed at start', async () => {
    const orphan = await layers.register(Readable.from([tarBuffer([file('orphan', 'o')])]), null);
    mkdirSync(path.join(layers.root, 'f'.repeat(64), 'diff'), { recursive: true }); // renamed, row never written
    // A new store over the same database and directories: what berthd sees on its next start.
    const restarted = new LayerStore(db, path.join(root, 'data'), path.join(root, 'data', 'tmp'), content);
    await restarted.reconcile();
    assert.equal(restarted.get(orphan.chainId), undefined);
    assert.ok(!existsSync(path.join(layers.root, 'f'.repeat(64))));
    assert.ok(!existsSync(path.dirname(layers.diffDir(orphan.chainId))));
  });

  test('a failed unpack (truncated gzip) leaves nothing behind', async () => {
    const gz = gzipSync(tarBuffer([file('t', 'x'.repeat(100000))]));
    await assert.rejects(layers.register(Readable.from([gz.subarray(0, gz.length / 2)]), null));
    assert.deepEqual(readdirSync(path.join(root, 'data', 'tmp')), []);
  });

  test('a layer blob that is not the expected digest (pull) is refused before anything is kept', async () => {
    const tar = tarBuffer([file('pulled', 'p')]);
    await assert.rejects(
      layers.register(Readable.from([gzipSync(tar)]), null, 'sha256:' + 'a'.repeat(64)),
      /digest mismatch/,
    );
    assert.equal(layers.get(sha(tar)), undefined);
    assert.deepEqual(readdirSync(path.join(root, 'data', 'tmp')), []);
    const gz = gzipSync(tar);
    const ok = await layers.register(Readable.from([gz]), null, sha(gz));
    assert.equal(ok.diffId, sha(tar));
  });

  test('content store: a wrong expected digest is refused and nothing is committed', async () => {
    const data = Buffer.from('blob data');
    await assert.rejects(
      content.ingest(Readable.from([data]), 'sha256:' + '0'.repeat(64)),
      /digest mismatch/,
    );
    assert.ok(!(await content.has(sha(data))));
    const ok = await content.ingest(Readable.from([data]), sha(data));
    assert.equal(ok.digest, sha(data));
    assert.ok(readFileSync(content.path(ok.digest)).equals(data));
    writeFileSync(path.join(root, 'marker'), '');
  });
});
