// Runs one scenario on every engine, interleaved: a warm-up round, then N
// rounds of dockerd → berthd (→ berth CLI → floor), so both engines see the
// same background load. Pure bookkeeping apart from the scenario's own calls.
import { summarize, pairRatios, verdict } from './stats.mjs';
import { guardBridges } from './engines.mjs';

/** The scenario with the fields that depend on the mode (`title`/`warmup: (ctx) => …`) resolved. */
export function resolveScenario(s, ctx) {
  const t = (x) => (typeof x === 'function' ? x(ctx) : x);
  return {
    ...s,
    title: t(s.title),
    warmup: t(s.warmup),
    ...(s.metrics && { metrics: s.metrics.map((m) => ({ ...m, title: t(m.title) })) }),
  };
}

/** The metrics a scenario reports (a single-metric scenario has its own id/title/unit). */
export function metricsOf(s) {
  const ms = s.metrics ?? [{ id: s.id, title: s.title, unit: s.unit, lowerIsBetter: s.lowerIsBetter }];
  // `clients` names who drives each column when it is not the docker CLI / berth CLI pair.
  return s.metrics || s.clients ? ms.map((m) => ({ clients: s.clients, scenario: s.id, ...m })) : ms;
}

const asRecord = (s, v) => (s.metrics ? v : { [s.id]: v });

/**
 * The measurements are synchronous child runs, so a Ctrl-C handler only runs
 * when the event loop turns: turn it between runs, and stop once it has fired.
 */
export async function checkpoint(ctx) {
  await new Promise((r) => setImmediate(r));
  if (ctx.aborted) throw new Error(`interrupted (${ctx.aborted})`);
}

export async function measureScenario(s, ctx, { dockerd, berthd }, runs, log) {
  const lanes = [
    { key: 'dockerd', eng: dockerd, cli: dockerd.cli },
    { key: 'berthd', eng: berthd, cli: berthd.cli },
  ];
  if (s.berthCli) lanes.push({ key: 'berthCli', eng: berthd, cli: berthd.berthCli });
  const samples = Object.fromEntries(
    metricsOf(s).map((m) => [m.id, { dockerd: [], berthd: [], berthCli: [], floor: [] }]),
  );
  const errors = [];
  const quietly = (f) =>
    Promise.resolve()
      .then(f)
      .catch(() => undefined);
  try {
    for (const note of guardBridges()) ctx.incidents?.push(`${s.id} (set-up): ${note}`);
    await checkpoint(ctx);
    // Set-up is not timed: both engines prepare side by side (an async set-up
    // overlaps with the other engine's; a synchronous one simply runs first).
    const failed = await setUpBoth(s, ctx, [dockerd, berthd]);
    if (failed.length) {
      errors.push(...failed);
      log(`  ${s.id}: set-up failed — ${failed.join('; ')}`);
    } else {
      if (s.floor) await s.floor.setup(ctx);
      await rounds(s, ctx, lanes, runs, samples, errors, log);
    }
  } finally {
    // After an interrupt the run's teardown removes everything at once (engines, temp dir).
    if (!ctx.aborted) {
      if (s.teardown) await Promise.all([dockerd, berthd].map((eng) => quietly(() => s.teardown(eng, ctx))));
      if (s.floor) await quietly(() => s.floor.teardown(ctx));
    }
  }
  return metricsOf(s).map((m) => resultOf(m, samples[m.id], errors));
}

/** Runs the scenario's set-up on every engine at once; returns "set-up on <engine>: …" per failure. */
async function setUpBoth(s, ctx, engines) {
  if (!s.setup) return [];
  const outcomes = await Promise.allSettled(
    engines.map((eng) => Promise.resolve().then(() => s.setup(eng, ctx))),
  );
  if (ctx.aborted) throw new Error(`interrupted (${ctx.aborted})`);
  return outcomes.flatMap((o, i) =>
    o.status === 'rejected'
      ? [`set-up on ${engines[i].name}: ${String(o.reason?.message ?? o.reason).split('\n')[0]}`]
      : [],
  );
}

/** The warm-up (unless the scenario has none) and the counted rounds, lane after lane. */
async function rounds(s, ctx, lanes, runs, samples, errors, log) {
  const total = (s.warmup === false ? 0 : 1) + runs;
  for (let round = 0; round < total; round++) {
    for (const note of guardBridges()) {
      log(`  ${note}`);
      ctx.incidents?.push(`${s.id}: ${note}`);
    }
    const counted = round >= total - runs;
    for (const lane of lanes) {
      await checkpoint(ctx);
      let v;
      try {
        v = asRecord(s, await s.measure(lane.eng, ctx, lane.cli, round, lane.key));
      } catch (e) {
        if (ctx.aborted) throw e;
        errors.push(`${lane.key}: ${e.message.split('\n')[0]}`);
        v = {};
      }
      if (counted) for (const m of metricsOf(s)) samples[m.id][lane.key].push(v[m.id] ?? NaN);
    }
    if (s.floor) {
      let v = NaN;
      try {
        v = await s.floor.measure(ctx);
      } catch (e) {
        errors.push(`floor: ${e.message.split('\n')[0]}`);
      }
      if (counted) samples[s.id].floor.push(v);
    }
    log(`  ${s.id} round ${round + 1}/${total}${counted ? '' : ' (warm-up)'}`);
  }
}

/** One row of the results: summaries per engine and the pairwise ratio. */
export function resultOf(m, sm, errors = []) {
  const lowerIsBetter = m.lowerIsBetter !== false;
  const ratio = summarize(pairRatios(sm.berthd, sm.dockerd));
  const r = {
    id: m.id,
    title: m.title,
    unit: m.unit,
    lowerIsBetter,
    samples: sm,
    dockerd: summarize(sm.dockerd),
    berthd: summarize(sm.berthd),
    ratio,
    verdict: verdict(ratio.median, lowerIsBetter),
  };
  if (m.scenario) r.scenario = m.scenario;
  if (m.clients) r.clients = m.clients;
  if (sm.berthCli?.length) r.berthCli = summarize(sm.berthCli);
  if (sm.floor?.length) r.floor = summarize(sm.floor);
  if (errors.length) r.errors = [...new Set(errors)].slice(0, 5);
  return r;
}
