// Mount requests (-v, --mount, VOLUME, --volumes-from) become Docker's mount points.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inherit, mountJson, parseBind, parseMount, planMounts } from '../../src/volume/mounts.js';

describe('parseBind (-v)', () => {
  test('a named volume gets mode "z" when none is given, as dockerd sets it', () => {
    const m = parseBind('data:/data');
    assert.deepEqual(mountJson({ ...m, Source: '/v/data/_data' }), {
      Type: 'volume',
      Name: 'data',
      Source: '/v/data/_data',
      Destination: '/data',
      Driver: 'local',
      Mode: 'z',
      RW: true,
      Propagation: '',
    });
    assert.equal(parseBind('data:/data:ro').RW, false);
    assert.equal(parseBind('data:/data:ro').Mode, 'ro');
    assert.equal(parseBind('data:/data:nocopy').copyData, false);
  });
  test('an absolute source is a bind with rprivate propagation', () => {
    assert.deepEqual(mountJson(parseBind('/srv/x/:/x:ro')), {
      Type: 'bind',
      Source: '/srv/x',
      Destination: '/x',
      Mode: 'ro',
      RW: false,
      Propagation: 'rprivate',
    });
    assert.equal(parseBind('/a:/b:rshared').Propagation, 'rshared');
  });
  test('bad specs are refused with Docker-like messages', () => {
    assert.throws(() => parseBind('/a'), /invalid volume specification: '\/a'/);
    assert.throws(() => parseBind('a:b'), /mount path must be absolute/);
    assert.throws(() => parseBind('/a:/b:bogus'), /invalid mode: bogus/);
    assert.throws(() => parseBind('/a:/'), /destination can't be '\/'/);
  });
});

describe('parseMount (--mount)', () => {
  test('volume, bind and tmpfs entries', () => {
    const v = parseMount({
      Type: 'volume',
      Source: 'v',
      Target: '/v',
      ReadOnly: true,
      VolumeOptions: { NoCopy: true },
    });
    assert.equal(v.Mode, '');
    assert.equal(v.RW, false);
    assert.equal(v.copyData, false);
    const b = parseMount({
      Type: 'bind',
      Source: '/h',
      Target: '/c',
      BindOptions: { Propagation: 'rslave' },
    });
    assert.equal(b.Propagation, 'rslave');
    const t = parseMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } });
    assert.deepEqual(t.tmpfsOptions, ['size=1024k', 'mode=1777']);
    assert.throws(
      () => parseMount({ Type: 'tmpfs', Source: 'x', Target: '/t' }),
      /Source must not be specified/,
    );
    assert.throws(() => parseMount({ Type: 'nfs', Target: '/t' }), /mount type unknown/);
  });
});

describe('planMounts', () => {
  test('image VOLUMEs become anonymous volumes unless something else is mounted there', () => {
    const ms = planMounts({
      binds: ['named:/data'],
      mounts: [],
      volumes: ['/data', '/cache'],
      volumesFrom: [],
      tmpfs: ['/run'],
    });
    assert.deepEqual(
      ms.map((m) => [m.Destination, m.Name ?? '', !!m.anonymous]),
      [
        ['/cache', '', true],
        ['/data', 'named', false],
      ],
    );
  });
  test('a destination given twice is refused', () => {
    assert.throws(
      () =>
        planMounts({
          binds: ['a:/d'],
          mounts: [{ Type: 'volume', Source: 'b', Target: '/d' }],
          volumes: [],
          volumesFrom: [],
          tmpfs: [],
        }),
      /Duplicate mount point: \/d/,
    );
  });
  test('--volumes-from keeps the mounts and overrides the mode', () => {
    const from = [parseBind('data:/data')];
    const [ro] = inherit(from, 'ro');
    assert.equal(ro.RW, false);
    assert.equal(ro.Mode, 'ro');
    assert.equal(ro.anonymous, false);
    assert.throws(() => inherit(from, 'x'), /invalid mode: x/);
  });
});
