// `docker run --rm` gives the same container whichever way berthd reaches the
// kernel: through the native addon (default) or, with BERTH_NATIVE=0, through
// the tools (mount, unshare, ip, umount, Node's spawn of conmon). Each daemon
// says once which path every operation took, and leaves no mount, namespace
// file or bundle behind.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const OPS = ['conmon', 'mount', 'netns', 'umount', 'veth'];

async function daemonWith(native: boolean): Promise<TestDaemon> {
  const saved = process.env.BERTH_NATIVE;
  if (native) delete process.env.BERTH_NATIVE;
  else process.env.BERTH_NATIVE = '0';
  try {
    return await startDaemon();
  } finally {
    if (saved === undefined) delete process.env.BERTH_NATIVE;
    else process.env.BERTH_NATIVE = saved;
  }
}

function pathsTaken(log: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of log.matchAll(/msg="system call path" op="(\w+)" path="(\w+)"/g)) out[m[1]] = m[2];
  return out;
}

const mountsUnder = (dir: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p && p.startsWith(dir + '/'));

describe('run --rm through the addon and through the tools', () => {
  const daemons: TestDaemon[] = [];
  after(async () => {
    for (const d of daemons) await d.stop();
  });

  for (const native of [true, false]) {
    it(native ? 'native addon' : 'BERTH_NATIVE=0: spawned tools', async () => {
      const d = await daemonWith(native);
      daemons.push(d);
      await ensureBusybox(d);
      const r = d.docker([
        'run',
        '--rm',
        'busybox',
        'sh',
        '-c',
        'ip -o -4 addr show eth0; ip route; ip -o link show lo; grep " / " /proc/mounts; echo ok >/probe; cat /probe',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /eth0\s+inet 10\.\d+\.\d+\.\d+\/\d+ scope global eth0/);
      assert.match(r.stdout, /^default via 10\.\d+\.\d+\.1 dev eth0/m);
      assert.match(r.stdout, /lo: <LOOPBACK,UP,LOWER_UP>/);
      assert.match(r.stdout, /^overlay \/ overlay /m);
      assert.match(r.stdout, /^ok$/m);

      const want = native ? 'native' : 'spawn';
      // Only the run path's operations (others, such as layer tar, use the addon too).
      const taken = pathsTaken(d.log());
      assert.deepEqual(
        Object.fromEntries(OPS.map((op) => [op, taken[op]])),
        Object.fromEntries(OPS.map((op) => [op, want])),
      );

      assert.deepEqual(mountsUnder(d.dataRoot), [], 'no rootfs mount left');
      assert.deepEqual(mountsUnder(d.execRoot), [], 'no namespace mount left');
      const nsDir = path.join(d.execRoot, 'netns');
      assert.deepEqual(existsSync(nsDir) ? readdirSync(nsDir) : [], [], 'no namespace file left');
      assert.deepEqual(readdirSync(path.join(d.execRoot, 'containers')), [], 'no bundle left');
      assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '');
    });
  }
});
