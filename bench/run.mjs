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
import { iptablesSnapshot, iptablesRestore } from './lib/netclean.mjs';
import { describeMachine, toolVersions } from './lib/machine.mjs';
import { measureScenario, resolveScenario, checkpoint } from './lib/measure.mjs';
import { markdownReport, textTable, clientNotes, errorLines } from './lib/format.mjs';
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
let iptablesBefore;
let cleaning;
let unlock = () => {};

async function cleanup() {
  if (cleaning) return cleaning;
  cleaning = (async () => {
    for (const f of ctx.cleanups.reverse())
      await Promise.resolve()
        .then(f)
        .catch(() => undefined);
    for (const e of Object.values(engines))
      await e.stop().catch((err) => log(`stopping ${e.name}: ${err.message}`));
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
    log('teardown done');
    unlock();
  })();
  return cleaning;
}

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

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (it starts dockerd and berthd)');
  if (!flag('--no-install')) ensurePackages(log);
  if (!existsSync(path.join(ROOT, 'dist/berthd.mjs')) || flag('--build')) {
    log('building berth …');
    must(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { timeoutMs: 900_000 });
  }
  unlock = await benchLock(log);
  const machine = describeMachine();
  const started = Date.now();
  ctx.tmp = mkdtempSync(path.join(os.tmpdir(), 'bb-'));
  iptablesBefore = iptablesSnapshot();
  log(`starting dockerd and berthd under ${ctx.tmp}`);
  engines.dockerd = await startDockerd(path.join(ctx.tmp, 'dockerd'));
  engines.berthd = await startBerthd(path.join(ctx.tmp, 'berthd'), ROOT);
  log('preparing images in both engines');
  await prepareImages(ctx, engines);

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
    const rows = await measureScenario(s, ctx, engines, runsFor(s), log);
    const seconds = Math.round((Date.now() - t0) / 1000);
    for (const r of rows) {
      r.scenarioSeconds = seconds; // set-up included: what the scenario costs the run
      results.push(r);
      log(
        `  ${r.title}: dockerd ${r.dockerd.median?.toFixed(2)} ${r.unit}, berthd ${r.berthd.median?.toFixed(2)} ${r.unit}, ratio ${r.ratio.median?.toFixed(2)}${r.errors ? ` — errors: ${r.errors.join('; ')}` : ''}`,
      );
    }
  }

  // Stop the engines first: the component benchmarks start their own daemons.
  const versions = { dockerd: engineVersion(engines.dockerd), berthd: engineVersion(engines.berthd) };
  const minutes = Math.round((Date.now() - started) / 6000) / 10; // engines up to the last scenario
  const extras = flag('--extras') || (!quick && !flag('--no-extras') && !only) ? 'yes' : '';
  let extraResults = [];
  if (extras) {
    await cleanup();
    extraResults = runExtras(ROOT, log);
  }

  const date = new Date().toISOString().slice(0, 10);
  const doc = {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    minutes,
    machine,
    engines: {
      dockerd: `dockerd ${versions.dockerd}, ${toolVersions().containerd}`,
      berthd: `berthd ${versions.berthd}`,
      runc: toolVersions().runc,
      conmon: toolVersions().conmon,
      client: `docker CLI ${run(DOCKER, ['version', '--format', '{{.Client.Version}}']).stdout.trim()} for both engines; berth CLI (bin/berth) against berthd`,
    },
    method:
      'each scenario runs on both engines alternately (dockerd, berthd, berth CLI, runc floor; one warm-up round first unless noted), ' +
      'driven by the same docker CLI binary; cells are median (min–max) of the counted runs; berth/dockerd is the median of the ratios taken pair by pair. ' +
      'Memory is VmRSS from /proc: berthd alone vs dockerd + its containerd; monitors are conmon vs containerd-shim-runc-v2.',
    results,
    skipped,
    extras: extraResults,
    incidents: ctx.incidents,
  };
  // A partial run (--only) must not replace the latest complete results.
  const outDir = only ? path.join(os.tmpdir(), 'berth-bench-results') : path.join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, `${date}-${machine.host}`);
  writeFileSync(`${base}.json`, JSON.stringify(doc, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdownReport(doc));
  writeFileSync(`${base}.png`, ratioChart(results));
  console.log(textTable(results));
  for (const n of clientNotes(results)) console.log(n.slice(2));
  for (const e of errorLines(results)) console.log(`error: ${e.slice(2)}`);
  for (const s of skipped) console.log(`not measured: ${s.title} — ${s.reason}`);
  log(`wrote ${base}.{json,md,png}`);
}

try {
  await main();
} catch (e) {
  if (!ctx.aborted) log(`failed: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
