// The volume service over a real SQLite file and data dir: create, filters,
// in-use refusal, prune's anonymous-only default, UsageData.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type DB } from '../../src/store/db.js';
import { EventBus } from '../../src/engine/events.js';
import { VolumeService } from '../../src/engine/volumes.js';
import { LocalVolumes } from '../../src/volume/local.js';

describe('VolumeService', () => {
  let dir: string;
  let db: DB;
  let svc: VolumeService;
  const inUse = new Set<string>();
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-volsvc-'));
    db = openDatabase(path.join(dir, 'berth.db'));
    svc = new VolumeService(new LocalVolumes(db, dir), new EventBus());
    svc.usedBy = (n) => (inUse.has(n) ? ['c0ffee'] : []);
  });
  after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const names = (f: Record<string, string[]> = {}) =>
    (svc.list(new Map(Object.entries(f))).Volumes as { Name: string }[]).map((v) => v.Name);

  test('create is idempotent and validates names, drivers and options', () => {
    const v = svc.create({ Name: 'one', Labels: { a: '1' } });
    assert.equal(svc.create({ Name: 'one' }).created, v.created);
    assert.ok(existsSync(path.join(dir, 'volumes/one/_data')));
    assert.throws(
      () => svc.create({ Name: 'bad/name' }),
      /includes invalid characters for a local volume name/,
    );
    assert.throws(() => svc.create({ Name: 'x1', Driver: 'nfs' }), /plugin "nfs" not found/);
    assert.throws(
      () => svc.create({ Name: 'x2', DriverOpts: { bogus: '1' } }),
      /invalid option key: "bogus"/,
    );
    assert.match(svc.createAnonymous().name, /^[0-9a-f]{64}$/);
  });

  test('list filters: name, label, driver, dangling', () => {
    svc.create({ Name: 'two' });
    inUse.add('two');
    assert.deepEqual(names({ name: ['tw'] }), ['two']);
    assert.deepEqual(names({ label: ['a=1'] }), ['one']);
    assert.deepEqual(names({ dangling: ['false'] }), ['two']);
    assert.ok(names({ driver: ['local'] }).includes('one'));
    assert.throws(() => names({ nope: ['x'] }), /invalid filter 'nope'/);
  });

  test('remove refuses a volume in use and keeps its data', async () => {
    writeFileSync(path.join(dir, 'volumes/two/_data/keep'), 'x');
    await assert.rejects(svc.remove('two', false), /remove two: volume is in use - \[c0ffee\]/);
    assert.ok(existsSync(path.join(dir, 'volumes/two/_data/keep')));
    await assert.rejects(svc.remove('ghost', false), /get ghost: no such volume/);
    await svc.remove('ghost', true);
  });

  test('prune takes anonymous volumes unless all=true; UsageData counts size and users', async () => {
    const usage = await svc.withUsage();
    const two = usage.find((v) => v.Name === 'two') as { UsageData: { Size: number; RefCount: number } };
    assert.deepEqual(two.UsageData, { Size: 1, RefCount: 1 });
    const first = await svc.prune(new Map());
    assert.equal(first.VolumesDeleted?.length, 1);
    assert.match(first.VolumesDeleted![0], /^[0-9a-f]{64}$/);
    const all = await svc.prune(
      new Map([
        ['all', ['true']],
        ['label!', ['a']],
      ]),
    );
    assert.deepEqual(all.VolumesDeleted, null);
    const all2 = await svc.prune(new Map([['all', ['true']]]));
    assert.deepEqual(all2.VolumesDeleted, ['one']);
    assert.deepEqual(names(), ['two']);
  });
});
