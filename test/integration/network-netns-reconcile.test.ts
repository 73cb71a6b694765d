// Container network namespaces never outlive a crash. berthd makes a
// container's namespace file (now a system call through the native addon,
// ~3 ms) before it records the sandbox; a crash in between used to leave the
// bind mount behind with nothing pointing at it. Start-up reconciliation
// removes every namespace file under the exec root that no running container
// owns, and a running container's namespace survives the same restart.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { createNetns, deleteNetns } from '../../src/network/links.js';

const mounted = (p: string): boolean =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === p);

describe('namespace files after a berthd crash', () => {
  let d: TestDaemon;
  const stray = (): string => path.join(d.execRoot, 'netns', 'f'.repeat(64));

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    if (!d) return;
    d.docker(['rm', '-f', 'keeper']);
    await d.stop();
    await deleteNetns(stray()).catch(() => undefined);
  });

  it("removes a namespace no container owns and keeps a running container's", async () => {
    const run = d.docker(['run', '-d', '--name', 'keeper', 'busybox', 'sleep', '300']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    const own = path.join(d.execRoot, 'netns', id);
    assert.ok(mounted(own), 'running container has its namespace file');

    await d.kill('SIGKILL');
    await createNetns(stray()); // what a crash mid-start leaves behind
    assert.ok(mounted(stray()));
    await d.restart();

    assert.equal(mounted(stray()), false, 'stray namespace unmounted');
    assert.equal(existsSync(stray()), false, 'stray namespace file removed');
    assert.ok(mounted(own), 'the running container keeps its namespace');
    const ip = d.docker(['exec', 'keeper', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    assert.equal(ip.code, 0, ip.stderr);
    assert.match(ip.stdout, /inet 10\.\d+\.\d+\.\d+\//);

    const rm = d.docker(['rm', '-f', 'keeper']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(mounted(own), false, 'removed with its container');
    assert.equal(existsSync(own), false);
  });
});
