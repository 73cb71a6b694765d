// Containers outlive the process that created them: the creator (a separate
// Node process) is SIGKILLed, the container keeps running under conmon, and a
// new runtime instance finds it, stops it and reads its exit code, including
// an exit that happened while no engine was running.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OciRuntime } from '../../src/runtime/oci.js';
import { mountOverlay, unmount } from '../../src/runtime/rootfs.js';
import { forceCleanup, makeBusyboxLayer, readUntil, runSpec, tempDir, uniqueId } from './runtime-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ociModule = path.resolve(here, '../../src/runtime/oci.js');

const CREATOR = `
import { OciRuntime } from ${JSON.stringify(ociModule)};
const [execRoot, specJson] = process.argv.slice(2);
const rt = new OciRuntime({ execRoot });
const spec = JSON.parse(specJson);
const { pid } = await rt.create(spec);
await rt.start(spec.id);
process.stdout.write('READY ' + pid + '\\n');
setInterval(() => {}, 1000);
`;

describe('runtime: containers survive their creator', () => {
  let dir: string;
  let layer: string;
  let execRoot: string;
  let creatorPath: string;
  const ids: string[] = [];
  const mounts: string[] = [];
  const children: ChildProcess[] = [];
  let rt: OciRuntime | undefined;

  before(() => {
    dir = tempDir('brs-');
    layer = makeBusyboxLayer(path.join(dir, 'layer'));
    execRoot = path.join(dir, 'exec');
    creatorPath = path.join(dir, 'creator.mjs');
    writeFileSync(creatorPath, CREATOR);
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    const r = rt ?? new OciRuntime({ execRoot });
    for (const id of ids) await r.delete(id).catch(() => undefined);
    r.close();
    for (const m of mounts) await unmount(m).catch(() => undefined);
    forceCleanup(path.join(execRoot, 'runc'), ids, mounts, [dir]);
  });

  /** Runs the creator in its own process; resolves with the container pid and the creator. */
  async function createInChild(
    args: string[],
    over: Parameters<typeof runSpec>[3] = {},
  ): Promise<{ id: string; pid: number; creator: ChildProcess; logPath: string }> {
    const id = uniqueId();
    ids.push(id);
    const c = path.join(dir, 'c', id.slice(0, 12));
    await mountOverlay([layer], path.join(c, 'upper'), path.join(c, 'work'), path.join(c, 'merged'));
    mounts.push(path.join(c, 'merged'));
    const logPath = path.join(dir, 'logs', `${id}.log`);
    const spec = runSpec(id, path.join(c, 'merged'), logPath, { args, ...over });
    const creator = spawn(process.execPath, [creatorPath, execRoot, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(creator);
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      creator.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      creator.on('exit', (code) =>
        reject(new Error(`creator exited with ${code} before the container started`)),
      );
    });
    return { id, pid, creator, logPath };
  }

  function killed(p: ChildProcess): Promise<void> {
    return new Promise((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  it('keeps running after the creator is SIGKILLed, and a new engine stops it', async () => {
    const c = await createInChild(['sh', '-c', 'trap "exit 42" TERM; while true; do sleep 0.1; done']);
    await killed(c.creator);
    process.kill(c.pid, 0); // throws if the container process is gone
    rt = new OciRuntime({ execRoot });
    const st = await rt.state(c.id);
    assert.equal(st?.status, 'running');
    assert.equal(st?.pid, c.pid);
    assert.equal(await rt.recordedExit(c.id), null);
    const waiting = rt.waitExit(c.id);
    await rt.kill(c.id, 'SIGTERM');
    assert.equal((await waiting).exitCode, 42);
  });

  it('recovers an exit code recorded while no engine was running', async () => {
    const c = await createInChild(['sh', '-c', 'sleep 0.5; exit 9']);
    await killed(c.creator);
    // Nobody is watching now; conmon writes the exit file on its own.
    await new Promise((r) => setTimeout(r, 1200));
    const r = rt ?? new OciRuntime({ execRoot });
    const rec = await r.recordedExit(c.id);
    assert.equal(rec?.exitCode, 9);
    assert.equal((await r.waitExit(c.id)).exitCode, 9);
    assert.equal((await r.state(c.id))?.status, 'stopped');
  });

  it('re-attaches to a TTY container after its creator died', async () => {
    const c = await createInChild(['sh'], { tty: true, openStdin: true, stdinOnce: false });
    await killed(c.creator);
    const r = rt ?? new OciRuntime({ execRoot });
    const a = await r.attach(c.id, { stdin: true });
    a.stdin!.write('echo "re""attached"\n');
    await readUntil(a.stdout, (s) => s.includes('reattached'));
    a.stdin!.write('exit 3\n');
    assert.equal((await r.waitExit(c.id)).exitCode, 3);
    a.close();
  });
});
