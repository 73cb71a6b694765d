// Container filesystem operations: `cp` of a tree into a created container
// and back out, `export` of a container holding a big tree, and `commit` of
// the container the tree was copied into (its upper dir becomes a layer).
// The same work as bench/fs-ops.mjs, measured on both engines interleaved.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { makeTree } from '../fs-ops.mjs';
import { removeContainers } from '../lib/api.mjs';

let seq = 0;
// Sized so the full mode stays under 30 minutes: every run is 4 operations × 3 columns.
const sizes = (ctx) => (ctx.quick ? { cp: 16, exp: 16 } : { cp: 128, exp: 128 });

export const fsOps = {
  id: 'fs-ops',
  berthCli: true,
  warmup: false, // every run starts from a fresh container
  runs: { quick: 1, full: 5 },
  metrics: [
    { id: 'cp-in', title: (ctx) => `cp of a ${sizes(ctx).cp} MiB tree into a container`, unit: 'ms' },
    { id: 'cp-out', title: 'cp of a tree out of a container', unit: 'ms' },
    { id: 'export', title: (ctx) => `export of a container holding ${sizes(ctx).exp} MiB`, unit: 'ms' },
    { id: 'commit', title: 'commit of a container', unit: 'ms' },
  ],
  async setup(eng, ctx) {
    const { cp, exp } = sizes(ctx);
    if (!ctx.fsOps) {
      const dir = path.join(ctx.tmp, 'fs-ops');
      ctx.fsOps = {
        dir,
        cpTree: makeTree(path.join(dir, 'cp-tree'), cp),
        exportTree: makeTree(path.join(dir, 'export-tree'), exp),
        exporters: {},
      };
    }
    // The export source: a created container holding the export tree.
    const name = `fx${process.pid}${eng.name}`;
    await eng.cli.okAsync(['create', '--name', name, '--network', 'none', 'busybox', 'true']);
    await eng.cli.okAsync(['cp', ctx.fsOps.exportTree, `${name}:/big`], { timeoutMs: 600_000 });
    ctx.fsOps.exporters[eng.name] = name;
  },
  teardown: (eng, ctx) => removeContainers(eng.host, [ctx.fsOps.exporters[eng.name]].filter(Boolean)),
  measure(eng, ctx, cli, round, lane) {
    const { dir, cpTree, exporters } = ctx.fsOps;
    const c = `fc${process.pid}x${++seq}`;
    const image = `bench-commit:${process.pid}-${seq}`;
    const work = path.join(dir, `${lane}-${seq}`);
    mkdirSync(work, { recursive: true });
    const long = { timeoutMs: 600_000 };
    try {
      eng.cli.ok(['create', '--name', c, '--network', 'none', 'busybox', 'true']);
      const cpIn = cli.timed(['cp', cpTree, `${c}:/tree`], long);
      const cpOut = cli.timed(['cp', `${c}:/tree`, path.join(work, 'out')], long);
      const exported = cli.timed(['export', '-o', path.join(work, 'export.tar'), exporters[eng.name]], long);
      const commit = cli.timed(['commit', c, image], long);
      // The work really happened: the last file came back out, the export holds the tree.
      const { cp, exp } = sizes(ctx);
      const last = path.join(work, 'out', `d${Math.floor((cp - 1) / 64)}`, `f${cp - 1}`);
      if (!existsSync(last)) throw new Error(`cp out: ${last} is missing`);
      if (statSync(path.join(work, 'export.tar')).size < exp * 1024 * 1024)
        throw new Error('export: the archive is smaller than the tree');
      return { 'cp-in': cpIn, 'cp-out': cpOut, export: exported, commit };
    } finally {
      eng.cli(['rm', '-f', c]);
      eng.cli(['rmi', '-f', image]);
      rmSync(work, { recursive: true, force: true });
    }
  },
};
