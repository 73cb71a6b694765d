#!/usr/bin/env node
// berth vs dockerd, side by side on this machine: `npm run bench [-- --quick]`.
// Starts a private dockerd and a private berthd, prepares the same images in
// both, runs every scenario interleaved, writes bench/results/<date>-<host>.
// {json,md,png}, and tears everything down (also on Ctrl-C / SIGTERM).
//   --quick        3 counted runs (fewer for the heavy scenarios)
//   --runs N       counted runs per scenario (default 5)
//   --only a,b     scenario ids to run (see bench/README.md)
//   --no-install   do not apt-get install missing packages
//   --extras / --no-extras  also run bench/{unpack,runtime,cli-startup}.mjs (default: full mode only)
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePackages } from './lib/install.mjs';
import {
  startDockerd,
  startBerthd,
  engineVersion,
  DOCKER,
  DOCKERD_BRIDGE,
  BERTHD_BRIDGE,
} from './lib/engines.mjs';
import { iptablesSnapshot, iptablesRestore, dockerChains } from './lib/netclean.mjs';
import { describeMachine, toolVersions } from './lib/machine.mjs';
import { measureScenario, resolveScenario, checkpoint, metricsOf, resultOf } from './lib/measure.mjs';
import {
  markdownReport,
  textTable,
  clientNotes,
  errorLines,
  durationLine,
  QUICK_NOTE,
} from './lib/format.mjs';
import { resultsBase } from './lib/output.mjs';
import { ratioChart } from './lib/chart.mjs';
import { prepareImages } from './lib/images.mjs';
import { must, run } from './lib/proc.mjs';
import { SCENARIOS, PENDING } from './scenarios/index.mjs';
import { runExtras } from './lib/extras.mjs';
import { benchLock } from './lib/lock.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (f) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
const quick = flag('--quick');
const only = opt('--only')?.split(',');
const runsFor = (s) => Number(opt('--runs')) || (quick ? (s.runs?.quick ?? 3) : (s.runs?.full ?? 5));
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const ctx = { quick, root: ROOT, cleanups: [], tmp: '', incidents: [] };
const engines = {};
const started = Date.now(); // the command's start: the duration printed at the end counts from here
const phases = { lockWait: 0, setUp: 0, scenarios: 0, teardown: 0, extras: 0 };
let iptablesBefore;
let cleaning;
let unlock = () => {};

async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    const t0 = Date.now();
    for (const f of ctx.cleanups.reverse())
      await Promise.resolve()
        .then(f)
        .catch(() => undefined);
    await Promise.all(
      Object.values(engines).map((e) => e.stop().catch((err) => log(`stopping ${e.name}: ${err.message}`))),
    );
    if (iptablesBefore) {
      const removed = iptablesRestore(iptablesBefore, [DOCKERD_BRIDGE.name, BERTHD_BRIDGE.name]);
      if (removed.length) log(`removed ${removed.length} iptables rules/chains left by the engines`);
    }
    if (ctx.tmp) {
      // Unmount anything an engine left under our dir (deepest first), then remove it.
      const mounts = run('findmnt', ['-rno', 'TARGET'])
        .stdout.split('\n')
        .filter((m) => m.startsWith(ctx.tmp + '/'));
      for (const m of mounts.sort((a, b) => b.length - a.length)) run('umount', ['-l', m]);
      rmSync(ctx.tmp, { recursive: true, force: true });
    }
    phases.teardown = Date.now() - t0;
    log(`teardown done (${seconds(phases.teardown)} s)`);
    // Checked before the lock goes: a waiting bench would bring the bridges back at once.
    ctx.clean = reportClean();
    unlock();
    return ctx.clean;
  })();
  return cleaning;
}

const seconds = (ms) => Math.round(ms / 100) / 10;

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
])
  process.once(sig, () => {
    log(`${sig}: tearing down`);
    ctx.aborted = sig; // the scenario loop stops at its next checkpoint
    cleanup().finally(() => process.exit(code));
  });

/** Runs bench/check-clean.sh on this run's temp dir: what the teardown left, if anything. */
function reportClean() {
  if (!ctx.tmp) return { clean: true, output: '' };
  const r = run('sh', [path.join(ROOT, 'bench/check-clean.sh'), ctx.tmp], {
    env: { ...process.env, CHAINS_BEFORE: dockerChains(iptablesBefore).join(' ') },
  });
  const output = (r.stdout + r.stderr).trim();
  log(r.code === 0 ? `check-clean: ${output.split('\n').at(-1)}` : `check-clean found leftovers:\n${output}`);
  return { clean: r.code === 0, output };
}

/** Both engines at once; when one fails to start, the other is stopped by the teardown. */
async function startEngines() {
  const [d, b] = await Promise.allSettled([
    startDockerd(path.join(ctx.tmp, 'dockerd'), ROOT).then((e) => (engines.dockerd = e)),
    startBerthd(path.join(ctx.tmp, 'berthd'), ROOT).then((e) => (engines.berthd = e)),
  ]);
  for (const o of [d, b]) if (o.status === 'rejected') throw o.reason;
}

/** Rows for a scenario that could not run at all: its metrics with no samples and the error. */
function failedRows(s, message) {
  const empty = () => ({ dockerd: [], berthd: [], berthCli: [], floor: [] });
  return metricsOf(s).map((m) => resultOf(m, empty(), [message]));
}

async function measureAll() {
  const results = [];
  const skipped = [...PENDING];
  for (const scenario of SCENARIOS) {
    if (only && !only.includes(scenario.id)) continue;
    await checkpoint(ctx);
    const s = resolveScenario(scenario, ctx);
    const reason = s.requires?.(ctx, engines);
    if (reason) {
      skipped.push({ title: s.title ?? s.id, reason });
      continue;
    }
    log(`${s.id}: ${runsFor(s)} runs`);
    const t0 = Date.now();
    let rows;
    try {
      rows = await measureScenario(s, ctx, engines, runsFor(s), log);
    } catch (e) {
      if (ctx.aborted) throw e;
      rows = failedRows(s, `scenario: ${e.message.split('\n')[0]}`);
    }
    const secs = Math.round((Date.now() - t0) / 1000);
    for (const r of rows) {
      r.scenarioSeconds = secs; // set-up included: what the scenario costs the run
      results.push(r);
      log(
        `  ${r.title}: dockerd ${r.dockerd.median?.toFixed(2)} ${r.unit}, berthd ${r.berthd.median?.toFixed(2)} ${r.unit}, ratio ${r.ratio.median?.toFixed(2)}${r.errors ? ` — errors: ${r.errors.join('; ')}` : ''}`,
      );
    }
  }
  return { results, skipped };
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (it starts dockerd and berthd)');
  if (!flag('--no-install')) ensurePackages(log);
  if (!existsSync(path.join(ROOT, 'dist/berthd.mjs')) || flag('--build')) {
    log('building berth …');
    must(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { timeoutMs: 900_000 });
  }
  const waitFrom = Date.now();
  unlock = await benchLock(log);
  phases.lockWait = Date.now() - waitFrom;
  const machine = describeMachine();
  const setUpFrom = Date.now();
  ctx.tmp = mkdtempSync(path.join(os.tmpdir(), 'bb-'));
  iptablesBefore = iptablesSnapshot();
  log(`starting dockerd and berthd under ${ctx.tmp}`);
  await startEngines();
  log('preparing images in both engines');
  await prepareImages(ctx, engines);
  phases.setUp = Date.now() - setUpFrom;

  const scenariosFrom = Date.now();
  const { results, skipped } = await measureAll();
  phases.scenarios = Date.now() - scenariosFrom;

  const versions = { dockerd: engineVersion(engines.dockerd), berthd: engineVersion(engines.berthd) };
  const client = run(DOCKER, ['version', '--format', '{{.Client.Version}}']).stdout.trim();
  const teardown = { seconds: 0, ...(await cleanup()) };
  teardown.seconds = seconds(phases.teardown);
  // The component benchmarks start their own daemons: after the teardown.
  const extras = flag('--extras') || (!quick && !flag('--no-extras') && !only) ? 'yes' : '';
  let extraResults = [];
  if (extras) {
    const t0 = Date.now();
    extraResults = runExtras(ROOT, log);
    phases.extras = Date.now() - t0;
  }
  // From the command's start to now, less the time spent waiting for another bench's lock.
  const totalMs = Date.now() - started - phases.lockWait;
  machine.loadavgEnd = os.loadavg()[0].toFixed(2);

  const doc = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    minutes: Math.round(totalMs / 6000) / 10,
    durations: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, seconds(v)])),
    machine,
    engines: {
      dockerd: `dockerd ${versions.dockerd}, ${toolVersions().containerd}`,
      berthd: `berthd ${versions.berthd}`,
      runc: toolVersions().runc,
      conmon: toolVersions().conmon,
      client: `docker CLI ${client} for both engines; berth CLI (bin/berth) against berthd`,
    },
    method:
      'each scenario runs on both engines alternately (dockerd, berthd, berth CLI, runc floor; one warm-up round first unless noted), ' +
      'driven by the same docker CLI binary; cells are median (min–max) of the counted runs; berth/dockerd is the median of the ratios taken pair by pair. ' +
      'Memory is VmRSS from /proc: berthd alone vs dockerd + its containerd; monitors are conmon vs containerd-shim-runc-v2.',
    results,
    skipped,
    extras: extraResults,
    incidents: ctx.incidents,
    teardown,
  };
  const base = resultsBase({
    root: ROOT,
    date: doc.date.slice(0, 10),
    host: machine.host,
    quick,
    only: !!only,
  });
  mkdirSync(path.dirname(base), { recursive: true });
  writeFileSync(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdownReport(doc));
  writeFileSync(`${base}.png`, ratioChart(results));
  if (quick) console.log(QUICK_NOTE);
  console.log(textTable(results));
  for (const n of clientNotes(results)) console.log(n.slice(2));
  for (const e of errorLines(results)) console.log(`error: ${e.slice(2)}`);
  for (const sk of skipped) console.log(`not measured: ${sk.title} — ${sk.reason}`);
  log(`wrote ${base}.{json,md,png}`);
  console.log(
    `${durationLine(doc)}; load average ${machine.loadavg} at the start, ${machine.loadavgEnd} at the end`,
  );
  if (!teardown.clean) {
    console.log(`teardown left something behind:\n${teardown.output}`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (e) {
  if (!ctx.aborted) log(`failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  if (!ctx.aborted) await cleanup();
}
