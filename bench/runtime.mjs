#!/usr/bin/env node
// Runtime layer benchmark: create+start latency of `true` containers through
// conmon + runc, exec latency, and the monitor's memory (conmon RSS/PSS while
// a container runs). Run after `node scripts/build.mjs`:
//   node bench/runtime.mjs [iterations]
// Uses a busybox rootfs on an overlay mount in a temp dir; cleans up after itself.
/* global process, performance, console */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { OciRuntime } = await import(path.join(root, 'dist/src/runtime/oci.js'));
const { mountOverlay, unmount } = await import(path.join(root, 'dist/src/runtime/rootfs.js'));
const { buildSpec, serializeSpec } = await import(path.join(root, 'dist/src/runtime/spec.js'));
const { hostHardLimits } = await import(path.join(root, 'dist/src/runtime/rlimits.js'));
const h = await import(path.join(root, 'dist/test/integration/runtime-helpers.js'));

const N = Number(process.argv[2] ?? 10);
const dir = h.tempDir('brb-');
const layer = h.makeBusyboxLayer(path.join(dir, 'layer'));
const rt = new OciRuntime({ execRoot: path.join(dir, 'exec') });
const ids = [];
const mounts = [];

async function fresh(args) {
  const id = h.uniqueId();
  ids.push(id);
  const c = path.join(dir, 'c', id.slice(0, 12));
  await mountOverlay([layer], path.join(c, 'upper'), path.join(c, 'work'), path.join(c, 'merged'));
  mounts.push(path.join(c, 'merged'));
  return h.runSpec(id, path.join(c, 'merged'), path.join(dir, 'logs', `${id}.log`), { args });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    min: s[0].toFixed(1),
    median: s[Math.floor(s.length / 2)].toFixed(1),
    max: s[s.length - 1].toFixed(1),
  };
};

try {
  const createStart = [];
  const toExit = [];
  for (let i = 0; i < N; i++) {
    const spec = await fresh(['true']);
    const t0 = performance.now();
    await rt.create(spec);
    await rt.start(spec.id);
    createStart.push(performance.now() - t0);
    await rt.waitExit(spec.id);
    toExit.push(performance.now() - t0);
    await rt.delete(spec.id);
  }

  // Baseline under the same load: the same config run by bare `runc run` (no monitor).
  const bare = [];
  const bareRoot = path.join(dir, 'bare-root');
  for (let i = 0; i < N; i++) {
    const spec = await fresh(['true']);
    const bundle = path.join(dir, 'bare', spec.id.slice(0, 12));
    mkdirSync(bundle, { recursive: true });
    const facts = { hostHard: hostHardLimits(), swapAccounting: false, cgroupParent: '/berth' };
    writeFileSync(path.join(bundle, 'config.json'), serializeSpec(buildSpec(spec, facts)));
    const t0 = performance.now();
    execFileSync('runc', ['--root', bareRoot, 'run', '--bundle', bundle, spec.id], { stdio: 'ignore' });
    bare.push(performance.now() - t0);
  }

  const spec = await fresh(['sleep', '60']);
  await rt.create(spec);
  await rt.start(spec.id);
  const execs = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const p = await rt.exec(spec.id, {
      args: ['true'],
      env: [],
      tty: false,
      privileged: false,
      attachStdin: false,
    });
    await p.exited;
    execs.push(performance.now() - t0);
  }
  const conmonPid = Number(readFileSync(path.join(rt.bundleDir(spec.id), 'conmon.pid'), 'utf8'));
  const rssKiB = Number(
    execFileSync('ps', ['-o', 'rss=', '-p', String(conmonPid)], { encoding: 'utf8' }).trim(),
  );
  const pssKiB = Number(
    /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${conmonPid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN,
  );
  await rt.kill(spec.id, 'KILL');
  await rt.waitExit(spec.id);
  await rt.delete(spec.id);

  console.log(`runtime: ${rt.name} (${rt.runtimePath}), ${N} iterations`);
  console.log('create+start `true` (ms):', stats(createStart));
  console.log('create→exit seen (ms):   ', stats(toExit));
  console.log('bare `runc run` (ms):    ', stats(bare));
  console.log('exec `true` to exit (ms):', stats(execs));
  console.log(
    `conmon RSS: ${rssKiB} KiB (${(rssKiB / 1024).toFixed(2)} MiB), PSS: ${pssKiB} KiB — goal < 2 MiB RSS: ${rssKiB < 2048 ? 'met' : 'NOT met'}`,
  );
} finally {
  for (const id of ids) await rt.delete(id).catch(() => undefined);
  for (const m of mounts) await unmount(m).catch(() => undefined);
  rt.close();
  h.forceCleanup(rt.root, ids, mounts, [dir]);
}
