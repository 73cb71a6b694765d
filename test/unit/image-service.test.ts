// The image service without HTTP: parent chains (what build and commit
// create) in history, list and delete; lookup rules; image-in-use hooks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { tarBuffer } from '../../src/image/tar-write.js';
import { EventBus } from '../../src/engine/events.js';
import { ImageService } from '../../src/engine/images.js';
import { ImageDeleter } from '../../src/engine/images-delete.js';
import { imageHistory, listImages } from '../../src/engine/images-view.js';
import { openDatabase, type DB } from '../../src/store/db.js';

const config = (diffIds: string[], history: object[], created: string): string =>
  JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created,
    config: {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  });

describe('image service', () => {
  let root: string;
  let db: DB;
  let images: ImageService;
  let deleter: ImageDeleter;
  let base: string;
  let child: string;

  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'berth-image-service-'));
    mkdirSync(path.join(root, 'tmp'));
    db = openDatabase(path.join(root, 'berth.db'));
    images = new ImageService(db, { dataRoot: root, tmp: path.join(root, 'tmp') }, new EventBus());
    deleter = new ImageDeleter(images);
    const l1 = await images.registerLayer(
      Readable.from([tarBuffer([{ header: { name: 'a', type: 'file' }, data: Buffer.from('a') }])]),
      null,
    );
    const l2 = await images.registerLayer(
      Readable.from([tarBuffer([{ header: { name: 'b', type: 'file' }, data: Buffer.from('bb') }])]),
      l1.chainId,
    );
    base = images.createImage(
      config([l1.diffId], [{ created_by: 'step 1' }], '2024-01-01T00:00:00Z'),
      l1.chainId,
      ['docker.io/library/base:1'],
    );
    // An untagged intermediate step, then the final image on top of it.
    const mid = images.createImage(
      config(
        [l1.diffId],
        [{ created_by: 'step 1' }, { created_by: 'ENV x=1', empty_layer: true }],
        '2024-01-02T00:00:00Z',
      ),
      l1.chainId,
      [],
      base,
    );
    child = images.createImage(
      config(
        [l1.diffId, l2.diffId],
        [{ created_by: 'step 1' }, { created_by: 'ENV x=1', empty_layer: true }, { created_by: 'step 3' }],
        '2024-01-03T00:00:00Z',
      ),
      l2.chainId,
      ['docker.io/library/app:latest'],
      mid,
    );
  });
  after(() => {
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('history names each local parent, newest first, with sizes of non-empty layers', () => {
    const h = imageHistory(images, images.get('app'));
    assert.deepEqual(
      h.map((e) => [e.CreatedBy, e.Size, e.Tags]),
      [
        ['step 3', 2, ['app:latest']],
        ['ENV x=1', 0, null],
        ['step 1', 1, ['base:1']],
      ],
    );
    assert.equal(h[0].Id, child);
    assert.equal(h[2].Id, base);
  });

  test('intermediate images are listed only with all=1; newest first', () => {
    const ids = (all: boolean): string[] =>
      listImages(images, new Map(), all, '1.51').map((s) => s.Id as string);
    assert.deepEqual(ids(false), [child, base]);
    assert.equal(ids(true).length, 3);
    const since = listImages(images, new Map([['since', ['base:1']]]), true, '1.51');
    assert.equal(since.length, 2);
  });

  test('an image with children cannot be deleted, even forced', async () => {
    await assert.rejects(
      deleter.delete(base, true, true),
      /\(cannot be forced\) - image has dependent child images/,
    );
  });

  test('lookup: short ID, sha256: prefix, name; unknown names say which', () => {
    assert.equal(images.resolve(child.slice(7, 19)).id, child);
    assert.equal(images.resolve('sha256:' + child.slice(7, 15)).id, child);
    const r = images.resolve('app');
    assert.equal(r.ref, 'docker.io/library/app:latest');
    assert.ok(r.topLayer);
    assert.equal(images.lowerDirs(r.topLayer).length, 2);
    assert.throws(() => images.resolve('nope'), { message: 'No such image: nope:latest' });
    assert.throws(() => images.resolve('sha256:' + 'f'.repeat(64)), {
      message: `No such image: sha256:${'f'.repeat(64)}`,
    });
  });

  test('deleting the top image with prune removes untagged parents, then layers nothing uses', async () => {
    const out = await deleter.delete('app', false, true);
    assert.deepEqual(out[0], { Untagged: 'app:latest' });
    assert.deepEqual(out[1], { Deleted: child });
    assert.ok(
      out.some((r) => 'Deleted' in r && r.Deleted !== child && images.records.get(r.Deleted) === undefined),
    );
    assert.equal(images.count(), 1, 'only base:1 is left (the untagged step went with its child)');
    assert.equal(images.layers.all().length, 1);
  });
});
