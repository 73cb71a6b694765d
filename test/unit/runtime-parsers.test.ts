import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { overlayMountOptions } from '../../src/runtime/rootfs.js';
import { parseBlkioV1, parseIoStatV2, parseNetDev, readStats, systemCpuNs } from '../../src/runtime/stats.js';
import { parseProcCgroup } from '../../src/runtime/cgroups.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { conmonArgs, runtimeErrorText } from '../../src/runtime/conmon.js';
import { rfc3339Nano } from '../../src/runtime/exits.js';

describe('overlay options', () => {
  it('uses absolute lowerdirs while they fit in a page', () => {
    const o = overlayMountOptions({
      lowerDirs: ['/l/2', '/l/1'],
      upper: '/c/u',
      work: '/c/w',
      target: '/c/m',
    });
    assert.deepEqual(o, { options: 'lowerdir=/l/2:/l/1,upperdir=/c/u,workdir=/c/w', cwd: '/' });
  });

  it('switches to relative lowerdirs from their common parent when the string is too long', () => {
    const lowers = Array.from(
      { length: 50 },
      (_, i) => `/var/lib/berth/layers/${String(i).padStart(64, 'a')}`,
    );
    const o = overlayMountOptions({ lowerDirs: lowers, upper: '/c/u', work: '/c/w', target: '/c/m' });
    assert.equal(o.cwd, '/var/lib/berth/layers');
    assert.ok(o.options.length < 4096);
    assert.ok(o.options.startsWith(`lowerdir=${'a'.repeat(63)}0:`));
    assert.equal(o.links, undefined);
  });

  it('falls back to short symlinks when even relative lowerdirs overflow', () => {
    const lowers = Array.from(
      { length: 500 },
      (_, i) => `/var/lib/berth/layers/${String(i).padStart(64, 'a')}`,
    );
    const o = overlayMountOptions({ lowerDirs: lowers, upper: '/c/u', work: '/c/w', target: '/c/m' });
    assert.equal(o.cwd, '/c/.lower-m');
    assert.equal(o.links?.length, 500);
    assert.ok(o.options.startsWith('lowerdir=0:1:2:'));
    assert.ok(o.options.length < 4096);
    assert.throws(() => overlayMountOptions({ lowerDirs: Array(501).fill('/x'), target: '/m' }), /max depth/);
  });
});

describe('stats parsers', () => {
  it('reads /proc/stat, net/dev, blkio and io.stat', () => {
    assert.equal(systemCpuNs('cpu  100 0 50 850 0 0 0 0 0 0\ncpu0 1 2 3\n'), 1000 * 1e7);
    const net = parseNetDev(
      'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n  eth0:    1500      10    0    0    0     0          0         0     2500      20    0    0    0     0       0          0\n',
    );
    assert.deepEqual(net, { eth0: { rx_bytes: 1500, rx_packets: 10, tx_bytes: 2500, tx_packets: 20 } });
    assert.deepEqual(parseBlkioV1('8:0 Read 4096\n8:0 Write 512\nTotal 4608\n'), [
      { major: 8, minor: 0, op: 'read', value: 4096 },
      { major: 8, minor: 0, op: 'write', value: 512 },
    ]);
    assert.deepEqual(parseIoStatV2('259:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n'), [
      { major: 259, minor: 0, op: 'read', value: 10 },
      { major: 259, minor: 0, op: 'write', value: 20 },
    ]);
  });
});

describe('conmon', () => {
  it('builds the monitor command line', () => {
    const a = conmonArgs({
      cid: 'c',
      cuuid: 'c',
      runtimePath: '/usr/sbin/runc',
      runtimeRoot: '/r',
      bundle: '/b',
      exitDir: '/e',
      logPath: '/l',
      logMaxSize: 1000,
      tty: true,
      stdin: true,
      leaveStdinOpen: true,
    });
    const s = a.join(' ');
    for (const want of [
      '--api-version 1',
      '-r /usr/sbin/runc',
      '--runtime-arg --root=/r',
      '-b /b',
      '--exit-dir /e',
      '-l k8s-file:/l',
      '--log-size-max 1000',
      '--full-attach',
      '-t',
      '-i',
      '--leave-stdin-open',
    ]) {
      assert.ok(s.includes(want), want);
    }
  });

  it('extracts runc error text', () => {
    assert.equal(
      runtimeErrorText(
        'time="x" level=error msg="runc create failed: exec: \\"x\\": executable file not found in $PATH"',
      ),
      'runc create failed: exec: "x": executable file not found in $PATH',
    );
    assert.equal(rfc3339Nano(1_700_000_000_123_456_789n), '2023-11-14T22:13:20.123456789Z');
  });
});

describe('stats from cgroup files', () => {
  it('reads a cgroup v2 directory', () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'berth-cg2-'));
    try {
      writeFileSync(path.join(d, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
      writeFileSync(path.join(d, 'memory.current'), '4096\n');
      writeFileSync(path.join(d, 'memory.max'), '8192\n');
      writeFileSync(path.join(d, 'memory.stat'), 'anon 1024\nfile 2048\n');
      writeFileSync(path.join(d, 'pids.current'), '3\n');
      writeFileSync(path.join(d, 'pids.max'), 'max\n');
      writeFileSync(path.join(d, 'io.stat'), '8:0 rbytes=5 wbytes=6 rios=1 wios=1\n');
      const s = readStats({ v1: {}, v2: d }, 0);
      assert.equal(s.cpu.total, 1_500_000);
      assert.deepEqual(s.memory, {
        usage: 4096,
        limit: 8192,
        cache: 2048,
        stats: { anon: 1024, file: 2048 },
      });
      assert.deepEqual(s.pids, { current: 3, limit: undefined });
      assert.equal(s.blkio.length, 2);
      assert.equal(s.net, undefined);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('parses /proc/<pid>/cgroup for v1 controllers and the unified hierarchy', () => {
    const p = parseProcCgroup('12:pids:/berth/abc\n4:memory:/berth/abc\n1:name=systemd:/x\n0::/berth/abc\n');
    assert.equal(p.v1.pids, '/sys/fs/cgroup/pids/berth/abc');
    assert.equal(p.v1.memory, '/sys/fs/cgroup/memory/berth/abc');
    assert.equal(p.v1['name=systemd'], undefined);
    assert.match(p.v2 ?? '', /\/berth\/abc$/);
  });
});
