// Build of a generated 12-step, multi-stage Dockerfile (two independent
// stages, a final COPY --from both, a 50 MiB tree COPYed, 10 in --quick): cold (image and
// build cache removed first), no-change rebuild, rebuild after one file of
// the tree changed. Both engines get `DOCKER_BUILDKIT=0 docker build` (the
// legacy /build API); the berth CLI column is `berth build`.
import path from 'node:path';
import { writeBuildContext, editOneFile, cacheHits, STEPS } from '../lib/build-context.mjs';

const LEGACY = { DOCKER_BUILDKIT: '0' };
const mib = (ctx) => (ctx.quick ? 10 : 50);
let edits = 0;

/** Removes the tag, the dangling intermediates and the build cache: the next build is cold. */
function forget(eng, tag) {
  eng.cli(['rmi', '-f', tag]);
  eng.cli(['image', 'prune', '-f']);
  eng.cli(['builder', 'prune', '-af']);
}

function build(cli, tag, dir) {
  const r = cli(['build', '-t', tag, dir], { env: LEGACY, timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`build → exit ${r.code}: ${lastLine(r.stderr) || lastLine(r.stdout)}`);
  return r;
}

/** The line that explains a failure (the docker CLI's tar-writer noise after an early answer skipped). */
const lastLine = (text) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/msg="Can't (add file|close tar writer)/.test(l))
    .at(-1) ?? '';

const imageId = (eng, tag) => eng.cli.ok(['image', 'inspect', '-f', '{{.Id}}', tag]).trim();

export const build12 = {
  id: 'build',
  warmup: false,
  berthCli: true,
  runs: { quick: 1, full: 5 },
  clients: { berthCli: 'berth build' },
  metrics: [
    {
      id: 'build-cold',
      title: (ctx) => `build ${STEPS}-step multi-stage, ${mib(ctx)} MiB tree, cold`,
      unit: 's',
    },
    { id: 'build-nochange', title: 'build, no-change rebuild', unit: 's' },
    { id: 'build-touched', title: 'build, one file of the tree changed', unit: 's' },
  ],
  setup(eng, ctx) {
    ctx.buildCtx ??= writeBuildContext(path.join(ctx.tmp, 'build-ctx'), mib(ctx));
  },
  measure(eng, ctx, cli, round, lane) {
    const tag = `bench-build:${lane.toLowerCase()}`;
    // Only the docker CLI's legacy output is parsed; `berth build` is checked by image IDs alone.
    const legacyText = lane !== 'berthCli';
    forget(eng, tag);
    const cold = build(cli, tag, ctx.buildCtx);
    if (legacyText && cacheHits(cold.stdout) > 0)
      throw new Error(`cold build used the cache for ${cacheHits(cold.stdout)} steps`);
    const coldId = imageId(eng, tag);
    const same = build(cli, tag, ctx.buildCtx);
    if (imageId(eng, tag) !== coldId) throw new Error('no-change rebuild produced a different image');
    editOneFile(ctx.buildCtx, `${process.pid}-${++edits}`);
    const touched = build(cli, tag, ctx.buildCtx);
    if (imageId(eng, tag) === coldId) throw new Error('rebuild after an edit produced the same image');
    return {
      'build-cold': cold.ms / 1000,
      'build-nochange': same.ms / 1000,
      'build-touched': touched.ms / 1000,
    };
  },
  teardown(eng) {
    for (const lane of ['dockerd', 'berthd', 'berthcli']) eng.cli(['rmi', '-f', `bench-build:${lane}`]);
    eng.cli(['image', 'prune', '-f']);
    eng.cli(['builder', 'prune', '-af']);
  },
};
