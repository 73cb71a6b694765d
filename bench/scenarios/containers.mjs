// Container life-cycle scenarios through the docker CLI (and the berth CLI
// where cheap): run --rm latency with bare runc as the floor, 50 sequential
// run -d, ps -a over 200 containers, stop of 20, exec, stats one-shot.
// --quick uses fewer containers (the titles say how many) and fewer rounds.
import { createContainers, removeContainers } from '../lib/api.mjs';
import { runcFloor } from '../lib/floor.mjs';

// sh as PID 1 ignores SIGTERM unless it traps it; with the trap, `stop`
// measures the engines, not a 10 s kill timeout.
const TRAP_TERM = ['sh', '-c', "trap 'exit 0' TERM; sleep 100000 & wait"];
let seq = 0;
const unique = (p) => `${p}${process.pid}x${++seq}`;
const RUN_D = { quick: 5, full: 50 };
const PS = { quick: 50, full: 200 };
const STOP = { quick: 5, full: 20 };
const size = (ctx, n) => (ctx.quick ? n.quick : n.full);

export const runRm = {
  id: 'run-rm',
  title: 'run --rm busybox true',
  unit: 'ms',
  berthCli: true,
  measure: (eng, ctx, cli) => cli.timed(['run', '--rm', 'busybox', 'true']),
  floor: runcFloor,
};

export const runDetached50 = {
  id: 'run-d-50',
  title: (ctx) => `sequential run -d, per container (${size(ctx, RUN_D)})`,
  unit: 'ms',
  warmup: false,
  runs: { quick: 1, full: 5 },
  async measure(eng, ctx, cli) {
    const n = size(ctx, RUN_D);
    const prefix = unique('rd');
    let ms = 0;
    try {
      for (let i = 0; i < n; i++)
        ms += cli.timed(['run', '-d', '--name', `${prefix}-${i}`, 'busybox', ...TRAP_TERM]);
    } finally {
      await removeContainers(
        eng.host,
        [...Array(n).keys()].map((i) => `${prefix}-${i}`),
      );
    }
    return ms / n;
  },
};

export const ps200 = {
  id: 'ps-200',
  title: (ctx) => `ps -a with ${size(ctx, PS)} containers`,
  unit: 'ms',
  berthCli: true,
  runs: { quick: 2, full: 5 },
  async setup(eng, ctx) {
    ctx.ps200 ??= {};
    ctx.ps200[eng.name] = await createContainers(eng.host, unique('ps'), size(ctx, PS));
  },
  measure: (eng, ctx, cli) => {
    const r = cli(['ps', '-a']);
    if (r.code !== 0 || r.stdout.split('\n').length < size(ctx, PS) + 1)
      throw new Error(`ps -a: ${r.stderr || 'too few rows'}`);
    return r.ms;
  },
  teardown: (eng, ctx) => removeContainers(eng.host, ctx.ps200[eng.name]),
};

export const stop20 = {
  id: 'stop-20',
  title: (ctx) => `stop of ${size(ctx, STOP)} running containers`,
  unit: 'ms',
  warmup: false,
  runs: { quick: 1, full: 5 },
  async measure(eng, ctx, cli) {
    const names = await createContainers(eng.host, unique('st'), size(ctx, STOP), {
      cmd: TRAP_TERM,
      start: true,
    });
    try {
      return cli.timed(['stop', ...names]);
    } finally {
      await removeContainers(eng.host, names);
    }
  },
};

/**
 * One long-running container per engine, shared by exec and stats; stats
 * (the later of the two) removes it, so it does not count in the memory
 * scenarios. A run that stops earlier leaves it to the engine's teardown.
 */
async function sleeper(eng, ctx) {
  ctx.sleepers ??= {};
  if (!ctx.sleepers[eng.name]) {
    const [name] = await createContainers(eng.host, unique('sl'), 1, { cmd: TRAP_TERM, start: true });
    ctx.sleepers[eng.name] = name;
  }
  return ctx.sleepers[eng.name];
}

async function dropSleeper(eng, ctx) {
  const name = ctx.sleepers?.[eng.name];
  if (!name) return;
  delete ctx.sleepers[eng.name];
  await removeContainers(eng.host, [name]);
}

export const execTrue = {
  id: 'exec',
  title: 'exec true',
  unit: 'ms',
  berthCli: true,
  setup: sleeper,
  measure: (eng, ctx, cli) => cli.timed(['exec', ctx.sleepers[eng.name], 'true']),
};

export const statsOnce = {
  id: 'stats',
  title: 'stats --no-stream (1 container)',
  unit: 'ms',
  berthCli: true,
  // Each run waits ~1.5 s for two samples; the exec scenario already warmed the container up.
  warmup: (ctx) => !ctx.quick,
  runs: { quick: 2, full: 5 },
  setup: sleeper,
  measure: (eng, ctx, cli) => cli.timed(['stats', '--no-stream', ctx.sleepers[eng.name]]),
  teardown: dropSleeper,
};

export const versionCli = {
  id: 'version',
  title: 'version (CLI start + /version)',
  unit: 'ms',
  berthCli: true,
  measure: (eng, ctx, cli) => cli.timed(['version']),
};
