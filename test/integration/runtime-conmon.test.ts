// The runc + conmon driver against real runc and conmon, on a busybox rootfs
// mounted through our overlay helper.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { OciRuntime } from '../../src/runtime/oci.js';
import { mountOverlay, unmount, isMountPoint } from '../../src/runtime/rootfs.js';
import { forceCleanup, makeBusyboxLayer, readUntil, runSpec, tempDir, uniqueId } from './runtime-helpers.js';

describe('runtime: conmon + runc', () => {
  let dir: string;
  let layer: string;
  let rt: OciRuntime;
  const ids: string[] = [];
  const mounts: string[] = [];

  before(() => {
    dir = tempDir('brt-');
    layer = makeBusyboxLayer(path.join(dir, 'layer'));
    rt = new OciRuntime({ execRoot: path.join(dir, 'exec') });
  });

  after(async () => {
    for (const id of ids) await rt.delete(id).catch(() => undefined);
    for (const m of mounts) await unmount(m).catch(() => undefined);
    rt.close();
    forceCleanup(rt.root, ids, mounts, [dir]);
  });

  /** A fresh container rootfs: overlay of the busybox layer + its own upper dir. */
  async function rootfs(id: string): Promise<string> {
    const c = path.join(dir, 'c', id.slice(0, 12));
    const merged = path.join(c, 'merged');
    await mountOverlay([layer], path.join(c, 'upper'), path.join(c, 'work'), merged);
    mounts.push(merged);
    return merged;
  }

  async function container(over: Parameters<typeof runSpec>[3] = {}) {
    const id = uniqueId();
    ids.push(id);
    const fs = await rootfs(id);
    const logPath = path.join(dir, 'logs', `${id}.log`);
    const spec = runSpec(id, fs, logPath, over);
    const { pid } = await rt.create(spec);
    return { id, pid, logPath, rootfs: fs };
  }

  it('runs sh -c "exit 3" and reports exit code 3', async () => {
    const c = await container({ args: ['sh', '-c', 'exit 3'] });
    assert.ok(c.pid > 0);
    assert.equal((await rt.state(c.id))?.status, 'created');
    assert.ok(isMountPoint(c.rootfs), 'overlay is mounted');
    await rt.start(c.id);
    const exit = await rt.waitExit(c.id);
    assert.equal(exit.exitCode, 3);
    assert.match(exit.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.deepEqual(await rt.recordedExit(c.id), exit);
  });

  it('keeps stdout and stderr apart in the k8s-file log', async () => {
    const c = await container({ args: ['sh', '-c', 'echo out-line; echo err-line >&2; printf partial'] });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    const lines = readFileSync(c.logPath, 'utf8').trim().split('\n');
    assert.ok(lines.some((l) => / stdout F out-line$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / stderr F err-line$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => / stdout P partial$/.test(l)), lines.join('\n'));
  });
});
