#!/usr/bin/env node
// Container filesystem operations through the real docker CLI: `cp` of a
// tree in and out, `export` of a container holding a big tree, and
// `commit`. `benchFsOps(host)` runs the same work against any engine at
// DOCKER_HOST=host, so dockerd can be measured side by side: set
// DOCKERD_HOST=unix:///var/run/docker.sock to add it.
//   node scripts/build.mjs && node bench/fs-ops.mjs [cpMiB=1024] [exportMiB=500] [runs=3] [dir=/var/tmp]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCKER = '/usr/local/bin/docker';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A tree of `mib` MiB: 1 MiB files, 64 per directory, non-zero content. */
export function makeTree(dir, mib) {
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919) & 0xff;
  for (let i = 0; i < mib; i++) {
    const d = path.join(dir, `d${Math.floor(i / 64)}`);
    if (i % 64 === 0) mkdirSync(d, { recursive: true });
    chunk.writeUInt32LE(i, 0);
    writeFileSync(path.join(d, `f${i}`), chunk);
  }
  return dir;
}

function docker(host, args) {
  const r = spawnSync(DOCKER, args, {
    env: { ...process.env, DOCKER_HOST: host },
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function timed(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** Runs cp in/out, export and commit against the engine at `host`; returns median ms per operation. */
export function benchFsOps(host, { cpTree, exportTree, runs, work }) {
  const tag = `fsops-${process.pid}`;
  const res = { cpIn: [], cpOut: [], export: [], commit: [] };
  docker(host, ['create', '--name', `${tag}-exp`, '--network', 'none', 'busybox', 'true']);
  docker(host, ['cp', exportTree, `${tag}-exp:/big`]);
  try {
    for (let r = 0; r < runs; r++) {
      const c = `${tag}-${r}`;
      docker(host, ['create', '--name', c, '--network', 'none', 'busybox', 'true']);
      res.cpIn.push(timed(() => docker(host, ['cp', cpTree, `${c}:/tree`])));
      const out = path.join(work, `out-${r}`);
      res.cpOut.push(timed(() => docker(host, ['cp', `${c}:/tree`, out])));
      rmSync(out, { recursive: true, force: true });
      const file = path.join(work, `export-${r}.tar`);
      res.export.push(timed(() => docker(host, ['export', '-o', file, `${tag}-exp`])));
      rmSync(file, { force: true });
      res.commit.push(timed(() => docker(host, ['commit', c, `${tag}:${r}`])));
      docker(host, ['rm', '-f', c]);
      docker(host, ['rmi', `${tag}:${r}`]);
    }
  } finally {
    spawnSync(DOCKER, ['rm', '-f', `${tag}-exp`], { env: { ...process.env, DOCKER_HOST: host } });
  }
  return Object.fromEntries(Object.entries(res).map(([k, v]) => [k, median(v)]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [cpMiB = 1024, exportMiB = 500, runs = 3] = process.argv.slice(2, 5).map(Number);
  const base = mkdtempSync(path.join(process.argv[5] ?? '/var/tmp', 'berth-bench-fsops-'));
  const { startDaemon } = await import(path.join(root, 'dist/test/support/daemon.js'));
  const { ensureBusybox } = await import(path.join(root, 'dist/test/support/images.js'));
  const d = await startDaemon();
  try {
    await ensureBusybox(d);
    const opts = {
      cpTree: makeTree(path.join(base, 'cp-tree'), cpMiB),
      exportTree: makeTree(path.join(base, 'export-tree'), exportMiB),
      runs,
      work: base,
    };
    const rows = [['berthd', benchFsOps(d.host, opts)]];
    if (process.env.DOCKERD_HOST) rows.push(['dockerd', benchFsOps(process.env.DOCKERD_HOST, opts)]);
    console.log(`cp ${cpMiB} MiB in/out, export ${exportMiB} MiB, commit; median of ${runs} (ms)`);
    console.log('engine    cp-in   cp-out  export  commit');
    for (const [name, r] of rows)
      console.log(
        `${name.padEnd(8)} ${[r.cpIn, r.cpOut, r.export, r.commit].map((x) => x.toFixed(0).padStart(7)).join(' ')}`,
      );
  } finally {
    await d.stop();
    rmSync(base, { recursive: true, force: true });
  }
}
