// Image transfer without a registry: import of a ~100 MiB rootfs tar (20 in --quick),
// save to a file, load from it (after removing the image). save and load
// share one imported image per engine, `bench-big:1`.
import { rmSync } from 'node:fs';
import path from 'node:path';

let n = 0;
const BIG = 'bench-big:1';

/** Imports the big rootfs tar as bench-big:1 unless it is there (set-up; both engines at once). */
async function ensureBig(eng, ctx) {
  if (eng.cli(['image', 'inspect', BIG]).code === 0) return;
  await eng.cli.okAsync(['import', ctx.bigTar, BIG]); // left to the engine's teardown
}

export const imageImport = {
  id: 'import',
  title: (ctx) => `import of a ${ctx.bigMiB} MiB rootfs tar`,
  unit: 'ms',
  berthCli: true,
  runs: { quick: 2, full: 5 },
  measure(eng, ctx, cli) {
    const ref = `bench-import:${process.pid}-${++n}`;
    try {
      return cli.timed(['import', ctx.bigTar, ref]);
    } finally {
      eng.cli(['rmi', ref]);
    }
  },
};

export const imageSave = {
  id: 'save',
  title: (ctx) => `save of a ${ctx.bigMiB} MiB image`,
  unit: 'ms',
  berthCli: true,
  runs: { quick: 2, full: 5 },
  setup: ensureBig,
  measure(eng, ctx, cli) {
    const out = path.join(ctx.tmp, `save-${eng.name}-${++n}.tar`);
    try {
      return cli.timed(['save', '-o', out, BIG]);
    } finally {
      rmSync(out, { force: true });
    }
  },
};

export const imageLoad = {
  id: 'load',
  title: (ctx) => `load of a ${ctx.bigMiB} MiB image`,
  unit: 'ms',
  berthCli: true,
  runs: { quick: 2, full: 5 },
  async setup(eng, ctx) {
    ctx.saved ??= {};
    // Each engine loads the archive it wrote itself (same content, its own format details).
    await ensureBig(eng, ctx);
    const out = path.join(ctx.tmp, `load-${eng.name}.tar`);
    await eng.cli.okAsync(['save', '-o', out, BIG]);
    ctx.saved[eng.name] = out;
  },
  measure(eng, ctx, cli) {
    eng.cli(['rmi', '-f', BIG]);
    return cli.timed(['load', '-q', '-i', ctx.saved[eng.name]]);
  },
  teardown(eng, ctx) {
    rmSync(ctx.saved[eng.name], { force: true });
  },
};
