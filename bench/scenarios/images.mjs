// Image transfer without a registry: import of a ~100 MiB rootfs tar (40 in --quick),
// save to a file, load from it (after removing the image).
import { rmSync } from 'node:fs';
import path from 'node:path';

let n = 0;

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
  setup(eng, ctx) {
    eng.cli.ok(['import', ctx.bigTar, 'bench-big:1']);
    ctx.cleanups.push(() => eng.cli(['rmi', '-f', 'bench-big:1']));
  },
  measure(eng, ctx, cli) {
    const out = path.join(ctx.tmp, `save-${eng.name}-${++n}.tar`);
    try {
      return cli.timed(['save', '-o', out, 'bench-big:1']);
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
  setup(eng, ctx) {
    ctx.saved ??= {};
    // Each engine loads the archive it wrote itself (same content, its own format details).
    const out = path.join(ctx.tmp, `load-${eng.name}.tar`);
    eng.cli.ok(['import', ctx.bigTar, 'bench-load:1']);
    eng.cli.ok(['save', '-o', out, 'bench-load:1']);
    ctx.saved[eng.name] = out;
  },
  measure(eng, ctx, cli) {
    eng.cli(['rmi', '-f', 'bench-load:1']);
    return cli.timed(['load', '-q', '-i', ctx.saved[eng.name]]);
  },
  teardown(eng, ctx) {
    eng.cli(['rmi', '-f', 'bench-load:1']);
    rmSync(ctx.saved[eng.name], { force: true });
  },
};
