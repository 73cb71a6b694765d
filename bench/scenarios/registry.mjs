// Registry scenarios against a loopback docker-registry: pull of a generated
// 5-layer ~300 MiB image cold (no layer present), warm (all present: only
// the manifest is checked), pull of a sibling image sharing 4 of its 5
// layers, and push of the 5-layer image to an empty registry. The image the
// cold pull leaves behind serves the scenarios after it (each pulls it only
// when it is missing, as with `--only`).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startRegistry, pushGeneratedImage, REGISTRY_BIN } from '../lib/registry.mjs';

const REPO = 'bench/big';
// 4 MiB file pairs per layer: ~300 MiB images, ~80 MiB in --quick.
const pairs = (ctx) => (ctx.quick ? 4 : 15);
const mib = (ctx) => pairs(ctx) * 4 * 5;

/** One source registry and one push target for the whole run, started once (both engines ask at once). */
function registries(ctx) {
  ctx.registry ??= (async () => {
    const [src, dst] = await Promise.all([
      startRegistry(path.join(ctx.tmp, 'registry-src')),
      startRegistry(path.join(ctx.tmp, 'registry-dst')),
    ]);
    ctx.cleanups.push(
      () => src.stop(),
      () => dst.stop(),
    );
    const dir = path.join(ctx.tmp, 'image-gen');
    const size = await pushGeneratedImage(src, dir, ctx.busyboxTar, REPO, '1', 'a', pairs(ctx));
    await pushGeneratedImage(src, dir, ctx.busyboxTar, REPO, '2', 'b', pairs(ctx));
    return { src, dst, size, ref: (tag) => `${src.host}/${REPO}:${tag}` };
  })();
  return ctx.registry;
}

/** Pulls image 1 unless the engine has it (set-up, untimed). */
async function ensurePulled(eng, ctx) {
  const { ref } = await registries(ctx);
  if ((await eng.cli.async(['image', 'inspect', ref('1')])).code === 0) return;
  await eng.cli.okAsync(['pull', '-q', ref('1')], { timeoutMs: 600_000 });
}

const requires = () =>
  existsSync(REGISTRY_BIN) ? null : `${REGISTRY_BIN} is missing (apt-get install docker-registry)`;

export const pullCold = {
  id: 'pull-cold',
  title: (ctx) => `pull 5-layer ~${mib(ctx)} MiB image, cold`,
  unit: 's',
  warmup: false,
  runs: { quick: 1, full: 5 },
  requires,
  setup: async (eng, ctx) => void (await registries(ctx)),
  async measure(eng, ctx, cli) {
    const { ref } = await ctx.registry;
    eng.cli(['rmi', '-f', ref('1'), ref('2')]);
    const ms = cli.timed(['pull', '-q', ref('1')], { timeoutMs: 600_000 });
    return ms / 1000;
  },
};

export const pullWarm = {
  id: 'pull-warm',
  title: 'pull 5-layer image, already present',
  unit: 's',
  requires,
  setup: ensurePulled,
  async measure(eng, ctx, cli) {
    const { ref } = await ctx.registry;
    return cli.timed(['pull', '-q', ref('1')]) / 1000;
  },
};

export const pullShared = {
  id: 'pull-shared',
  title: 'pull sibling image, 4 of 5 layers present',
  unit: 's',
  warmup: (ctx) => !ctx.quick,
  runs: { quick: 1, full: 5 },
  requires,
  setup: ensurePulled,
  async measure(eng, ctx, cli) {
    const { ref } = await ctx.registry;
    eng.cli(['rmi', '-f', ref('2')]);
    return cli.timed(['pull', '-q', ref('2')], { timeoutMs: 600_000 }) / 1000;
  },
  teardown: async (eng, ctx) => void eng.cli(['rmi', '-f', (await ctx.registry).ref('2')]),
};

export const push = {
  id: 'push',
  title: 'push 5-layer image to an empty registry',
  unit: 's',
  warmup: false,
  runs: { quick: 1, full: 5 },
  requires,
  async setup(eng, ctx) {
    await ensurePulled(eng, ctx);
    const { ref, dst } = await ctx.registry;
    eng.cli.ok(['tag', ref('1'), `${dst.host}/bench/pushed:1`]);
  },
  async measure(eng, ctx, cli) {
    const { dst } = await ctx.registry;
    await dst.restart({ wipe: true }); // every push starts from an empty registry
    return cli.timed(['push', '-q', `${dst.host}/bench/pushed:1`], { timeoutMs: 600_000 }) / 1000;
  },
  teardown: async (eng, ctx) =>
    void eng.cli(['rmi', '-f', `${(await ctx.registry).dst.host}/bench/pushed:1`]),
};
