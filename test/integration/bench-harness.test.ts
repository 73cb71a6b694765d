// The benchmark harness's pure parts (bench/lib): statistics, pairwise
// ratios, table formatting, the PNG chart, and the generated inputs of the
// build and compose scenarios. Timings are never asserted;
// this only proves the numbers and files the bench writes are right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import YAML from 'yaml';
import { ROOT } from '../support/daemon.js';

const lib = (name: string) => import(path.join(ROOT, 'bench/lib', name));

/** Decodes a PNG the bench wrote (8-bit RGB, filter 0 on every row) into width, height, pixels. */
function decodePng(buf: Buffer, crc32: (b: Buffer) => number) {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('ascii');
    const data = buf.subarray(off + 8, off + 8 + len);
    assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8);
      assert.equal(data[9], 2);
    }
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  assert.deepEqual([types[0], types.at(-1)], ['IHDR', 'IEND']);
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, (width * 3 + 1) * height);
  const px = (x: number, y: number) => {
    const i = y * (width * 3 + 1) + 1 + x * 3;
    assert.equal(raw[y * (width * 3 + 1)], 0, 'filter type');
    return [raw[i], raw[i + 1], raw[i + 2]];
  };
  return { width, height, px };
}

test('statistics: median, summary, pairwise ratios, verdicts', async () => {
  const { median, summarize, pairRatios, verdict } = await lib('stats.mjs');
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(summarize([3, NaN, 1, 2]), { n: 3, median: 2, min: 1, max: 3 });
  assert.equal(summarize([]).n, 0);
  // Pairs with a failed run on either side are dropped, not shifted.
  assert.deepEqual(pairRatios([10, NaN, 30, 8], [20, 5, 10]), [0.5, 3]);
  assert.equal(verdict(0.25), 'berth 4.00× better');
  assert.equal(verdict(2), 'berth 2.00× worse');
  assert.equal(verdict(1.02), 'same');
  assert.equal(verdict(2, false), 'berth 2.00× better'); // throughput: higher is better
  assert.equal(verdict(NaN), 'n/a');
});

test('formatting: cells, Markdown and text tables, the report', async () => {
  const { num, cell, markdownTable, textTable, markdownReport } = await lib('format.mjs');
  const { resultOf } = await lib('measure.mjs');
  assert.equal(num(0.01234), '0.012');
  assert.equal(num(12.34), '12.3');
  assert.equal(num(1234.5), '1235');
  assert.equal(cell({ n: 3, median: 40, min: 35.5, max: 51 }, 'ms'), '40.0 ms (35.5–51.0)');
  const r = resultOf(
    { id: 'run-rm', title: 'run --rm a|b', unit: 'ms' },
    { dockerd: [400, 500, 600], berthd: [100, 250, 150], berthCli: [120, 130, 140], floor: [40, 41, 42] },
  );
  assert.deepEqual(r.ratio, { n: 3, median: 0.25, min: 0.25, max: 0.5 });
  assert.equal(r.verdict, 'berth 4.00× better');
  const md = markdownTable([r]).split('\n');
  assert.equal(md.length, 3);
  assert.match(md[0], /^\| scenario \| dockerd \| berthd \| berth\/dockerd \|/);
  assert.equal(
    md[2],
    '| run --rm a\\|b | 500 ms (400–600) | 150 ms (100–250) | 0.250 (0.250–0.500) | berth 4.00× better | 130 ms (120–140) | 41.0 ms (40.0–42.0) |',
  );
  const text = textTable([r]).split('\n');
  assert.equal(text[0].indexOf('dockerd'), text[1].indexOf('500 ms'), 'columns line up');
  const report = markdownReport({
    date: '2026-01-01T00:00:00Z',
    machine: { host: 'h', cpus: 2, cpuModel: 'cpu', memGiB: 4, kernel: '6.1', loadavg: '0.5' },
    engines: { dockerd: 'dockerd 20.10', berthd: 'berthd 0.1', runc: '1.1.5', client: 'docker 28' },
    method: 'alternating',
    results: [r],
    skipped: [{ title: 'pull', reason: 'not landed' }],
  });
  assert.match(report, /2× cpu, 4 GiB RAM, Linux 6\.1/);
  assert.match(report, /- pull: not landed/);
});

test('chart: a valid PNG whose bars sit on the right side of 1×', async () => {
  const { crc32 } = await lib('png.mjs');
  const { ratioChart, costRatio } = await lib('chart.mjs');
  assert.equal(crc32(Buffer.from('IEND')), 0xae426082);
  assert.equal(costRatio({ ratio: { median: 2 }, lowerIsBetter: false }), 0.5);
  const rows = [
    { title: 'faster', ratio: { median: 0.5 } },
    { title: 'slower', ratio: { median: 4 } },
    { title: 'missing', ratio: { median: NaN } },
  ];
  const png = decodePng(ratioChart(rows), crc32);
  assert.equal(png.height > 3 * 20, true);
  // Find the centre line (1×): the darkest full-height column in the plot.
  const rowY = (i: number) => 74 + i * 28 + 14;
  const colours = (y: number) => {
    const seen = { green: [] as number[], red: [] as number[] };
    for (let x = 0; x < png.width; x++) {
      const [r, g, b] = png.px(x, y);
      if (r === 46 && g === 139 && b === 87) seen.green.push(x);
      if (r === 200 && g === 60 && b === 50) seen.red.push(x);
    }
    return seen;
  };
  const faster = colours(rowY(0));
  const slower = colours(rowY(1));
  assert.ok(faster.green.length > 50, 'berth-better row has a green bar');
  assert.ok(slower.red.length > 50, 'berth-worse row has a red bar');
  // The green bar ends where the red one starts: both touch the 1× line, on opposite sides.
  const greenEnd = Math.max(...faster.green.filter((x) => x < png.width - 130));
  const redStart = Math.min(...slower.red);
  assert.ok(Math.abs(greenEnd - redStart) <= 2, `bars meet at 1× (${greenEnd} vs ${redStart})`);
  // 4× is twice as far from 1× as 0.5× on a log scale.
  const greenLen = greenEnd - Math.min(...faster.green);
  const redLen = Math.max(...slower.red.filter((x) => x < png.width - 130)) - redStart;
  assert.ok(Math.abs(redLen - 2 * greenLen) <= 3, `log scale (${greenLen} vs ${redLen})`);
  const missing = colours(rowY(2));
  assert.equal(missing.green.length + missing.red.length, 0);
});

test('build scenario input: a 12-step Dockerfile, two independent stages, a final COPY --from both', async () => {
  const { DOCKERFILE, STEPS, writeBuildContext, editOneFile, cacheHits } = await lib('build-context.mjs');
  const lines = DOCKERFILE.trim().split('\n');
  assert.equal(STEPS, 12);
  assert.equal(lines.length, 12);
  const froms = lines.filter((l: string) => l.startsWith('FROM '));
  assert.deepEqual(froms, ['FROM busybox AS tree', 'FROM busybox AS gen', 'FROM busybox']);
  const final = lines.slice(lines.indexOf('FROM busybox'));
  assert.ok(final.some((l: string) => l.startsWith('COPY --from=tree ')));
  assert.ok(final.some((l: string) => l.startsWith('COPY --from=gen ')));
  // The `gen` stage uses nothing from `tree`: the two can build side by side.
  const gen = lines.slice(lines.indexOf('FROM busybox AS gen'), lines.indexOf('FROM busybox'));
  assert.ok(gen.every((l: string) => !/tree|--from/.test(l)));
  assert.ok(lines.filter((l: string) => l.startsWith('RUN ')).length >= 4);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ctx-'));
  try {
    writeBuildContext(dir, 1); // 1 MiB: 8 files of 128 KiB
    assert.equal(readFileSync(path.join(dir, 'Dockerfile'), 'utf8'), DOCKERFILE);
    const files = readdirSync(path.join(dir, 'tree/d0'));
    assert.equal(files.length, 8);
    const sizes = files.map((f) => statSync(path.join(dir, 'tree/d0', f)).size);
    assert.deepEqual(new Set(sizes), new Set([128 * 1024]));
    const f0 = readFileSync(path.join(dir, 'tree/d0/f0'));
    assert.notDeepEqual(f0, readFileSync(path.join(dir, 'tree/d0/f1')), 'files differ');
    editOneFile(dir, 'x1');
    assert.equal(readFileSync(path.join(dir, 'tree/d0/f0'), 'utf8'), 'edited x1\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out =
    'Step 2/12 : WORKDIR /src\n ---> Using cache\n ---> 1a2b\nStep 3/12 : COPY tree/ ./\n ---> Using cache\n';
  assert.equal(cacheHits(out), 2);
  assert.equal(cacheHits('Step 1/12 : FROM busybox AS tree\n ---> 1a2b\n'), 0);
});

test('compose scenario input: 10 services, one shared network with its subnet, a volume, depends_on chains', async () => {
  const { composeFile, serviceGraph } = await lib('compose-project.mjs');
  const doc = YAML.parse(composeFile({ subnet: '10.209.3.0/24' }));
  const names = Object.keys(doc.services);
  assert.equal(names.length, 10);
  assert.deepEqual(doc.networks.shared.ipam.config, [{ subnet: '10.209.3.0/24' }]);
  assert.deepEqual(Object.keys(doc.volumes), ['data']);
  for (const s of Object.values(doc.services) as { image: string; networks: string[]; command: string[] }[]) {
    assert.equal(s.image, 'busybox');
    assert.deepEqual(s.networks, ['shared']);
    assert.equal(s.command[0], 'sh');
  }
  assert.ok(names.filter((n) => doc.services[n].volumes?.[0] === 'data:/data').length >= 2);
  // depends_on matches the graph, names only existing services, and forms chains (depth ≥ 3), no cycle.
  const graph = serviceGraph(10);
  for (const n of names) assert.deepEqual(doc.services[n].depends_on ?? [], graph[n]);
  const depth = (n: string, seen: string[] = []): number => {
    assert.ok(!seen.includes(n), `cycle through ${n}`);
    return 1 + Math.max(0, ...graph[n].map((d: string) => depth(d, [...seen, n])));
  };
  assert.ok(Math.max(...names.map((n) => depth(n))) >= 4);
});

test('report: rows with other clients get a note; failed runs are listed', async () => {
  const { markdownReport, clientNotes } = await lib('format.mjs');
  const { resultOf, metricsOf } = await lib('measure.mjs');
  const s = {
    id: 'compose',
    clients: { dockerd: 'docker-compose 1.29 on dockerd', berthd: 'berth compose on berthd' },
    metrics: [
      { id: 'compose-up', title: 'compose up -d', unit: 'ms' },
      { id: 'compose-down', title: 'compose down', unit: 'ms' },
    ],
  };
  const ms = metricsOf(s);
  assert.deepEqual(
    ms.map((m: { scenario: string }) => m.scenario),
    ['compose', 'compose'],
  );
  const rows = ms.map((m: object) =>
    resultOf(m, { dockerd: [10, 12], berthd: [5, NaN], berthCli: [], floor: [] }, ['berthd: exit 1: boom']),
  );
  assert.equal(rows[0].berthd.n, 1);
  assert.deepEqual(clientNotes(rows), [
    '- compose: dockerd column = docker-compose 1.29 on dockerd; berthd column = berth compose on berthd',
  ]);
  const report = markdownReport({
    date: 'd',
    machine: { host: 'h', cpus: 2, cpuModel: 'cpu', memGiB: 4, kernel: '6.1', loadavg: '0.5' },
    engines: { dockerd: 'x', berthd: 'y', runc: 'z', client: 'c' },
    method: 'm',
    results: rows,
  });
  assert.match(report, /- compose: dockerd column = docker-compose 1\.29 on dockerd/);
  // The rows of one scenario share their errors: listed once, under the scenario.
  assert.equal(report.match(/- compose: berthd: exit 1: boom/g)?.length, 1);
});

test('scenarios: titles and warm-up that depend on --quick are resolved per mode; every scenario is well formed', async () => {
  const { resolveScenario, metricsOf } = await lib('measure.mjs');
  const s = {
    id: 'x',
    warmup: (c: { quick: boolean }) => !c.quick,
    metrics: [{ id: 'a', title: (c: { quick: boolean }) => (c.quick ? 'a of 10' : 'a of 50'), unit: 'ms' }],
    measure: () => ({ a: 1 }),
  };
  const quick = resolveScenario(s, { quick: true });
  assert.equal(quick.warmup, false);
  assert.equal(quick.metrics[0].title, 'a of 10');
  assert.equal(resolveScenario(s, { quick: false }).metrics[0].title, 'a of 50');
  assert.equal(quick.measure, s.measure);

  const { SCENARIOS } = await import(path.join(ROOT, 'bench/scenarios/index.mjs'));
  const ids = new Set<string>();
  for (const mode of [true, false]) {
    for (const sc of SCENARIOS) {
      const r = resolveScenario(sc, { quick: mode, bigMiB: mode ? 40 : 100 });
      assert.equal(typeof r.measure, 'function', sc.id);
      for (const m of metricsOf(r)) {
        assert.equal(typeof m.title, 'string', `${m.id} title`);
        assert.ok(m.unit, `${m.id} unit`);
        if (mode) ids.add(m.id);
      }
    }
  }
  // The list, plus the cp/export/commit scenario.
  for (const id of [
    'run-rm',
    'run-d-50',
    'ps-200',
    'stop-20',
    'exec',
    'logs-100m',
    'stats',
    'port-throughput',
    'c2c-throughput',
    'pull-cold',
    'pull-warm',
    'push',
    'build-cold',
    'build-nochange',
    'build-touched',
    'compose-up',
    'compose-noop',
    'compose-down',
    'rss-idle',
    'rss-50',
    'monitor-rss',
    'cp-in',
    'commit',
  ])
    assert.ok(ids.has(id), `scenario ${id} exists`);
  assert.ok(SCENARIOS.find((x: { id: string }) => x.id === 'run-rm').floor, 'run --rm has the runc floor');
});

test('a failed scenario keeps its row: the table gets an errors column only when some row failed', async () => {
  const { markdownTable, textTable, errorCell } = await lib('format.mjs');
  const { resultOf } = await lib('measure.mjs');
  const ok = resultOf(
    { id: 'a', title: 'ok row', unit: 'ms' },
    { dockerd: [1], berthd: [1], berthCli: [], floor: [] },
  );
  assert.equal(markdownTable([ok]).split('\n')[0].split('|').length - 2, 7, 'no errors column');
  const long = `berthd: ${'x'.repeat(100)}`;
  const failed = resultOf(
    { id: 'b', title: 'failed row', unit: 'ms' },
    { dockerd: [], berthd: [], berthCli: [], floor: [] },
    ['set-up on berthd: exit 1: boom', long],
  );
  assert.equal(errorCell(failed), 'set-up on berthd: exit 1: boom (+1 more)');
  // The command before "→ exit N:" gives way to the cause.
  assert.equal(
    errorCell({
      errors: ['berthd: docker commit fc1 bench-commit:1 → exit 1: Error response from daemon: tar: exit 2'],
    }),
    'berthd: exit 1: Error response from daemon: tar: exit 2',
  );
  assert.equal(errorCell(resultOf({ id: 'c', title: 'c', unit: 'ms' }, failed.samples, [long])).length, 70);
  const md = markdownTable([ok, failed]).split('\n');
  assert.match(md[0], /\| floor \| errors \|$/);
  assert.equal(md[3], '| failed row | – | – | – | n/a |  |  | set-up on berthd: exit 1: boom (+1 more) |');
  assert.ok(md[2].endsWith('|  |  |  |'), 'a row without errors has an empty errors cell');
  const text = textTable([ok, failed]).split('\n');
  assert.equal(text.length, 3);
  assert.match(text[2], /^failed row .*set-up on berthd: exit 1: boom/);
});

test('where results go: full to bench/results, --quick beside it with -quick, --only to /tmp (one name)', async () => {
  const { resultsBase } = await lib('output.mjs');
  const base = { root: '/r', date: '2026-11-28', host: 'vm' };
  assert.equal(resultsBase({ ...base, quick: false, only: false }), '/r/bench/results/2026-11-28-vm');
  assert.equal(resultsBase({ ...base, quick: true, only: false }), '/r/bench/results/2026-11-28-vm-quick');
  assert.equal(
    resultsBase({ ...base, quick: true, only: true }),
    path.join(os.tmpdir(), 'berth-bench-results/2026-11-28-vm'),
  );
});

test('duration line and report: the whole run counted (set-up, scenarios, teardown), the lock wait apart', async () => {
  const { durationLine, markdownReport, QUICK_NOTE } = await lib('format.mjs');
  const doc = {
    date: 'd',
    mode: 'quick',
    minutes: 3.6,
    durations: { lockWait: 40, setUp: 12, scenarios: 190, teardown: 8, extras: 0 },
    machine: { host: 'h', cpus: 2, cpuModel: 'cpu', memGiB: 4, kernel: '6.1', loadavg: '0.5' },
    engines: { dockerd: 'x', berthd: 'y', runc: 'z', client: 'c' },
    method: 'm',
    results: [],
    teardown: { seconds: 8, clean: false, output: 'left: bridge bbench0' },
  };
  assert.equal(
    durationLine(doc),
    'quick bench took 3.6 min (set-up 12 s, scenarios 190 s, teardown 8 s; 40 s waiting for another bench not counted)',
  );
  const report = markdownReport(doc);
  assert.ok(report.includes(QUICK_NOTE), 'quick mode says it is a smoke test');
  assert.match(report, /Mode: quick; the run took 3\.6 min \(set-up 12 s/);
  assert.match(report, /Teardown: 8 s; bench\/check-clean\.sh: leftovers found/);
  assert.match(report, /left: bridge bbench0/);
});

test('iptables snapshot: the DOCKER* chains that were there before a run', async () => {
  const { dockerChains } = await lib('netclean.mjs');
  const snap = {
    filter: new Set([
      '-P INPUT ACCEPT',
      '-N DOCKER',
      '-N DOCKER-ISOLATION-STAGE-1',
      '-N BERTH-FORWARD',
      '-A DOCKER -j RETURN',
    ]),
    nat: new Set(['-N DOCKER']),
  };
  assert.deepEqual(dockerChains(snap).sort(), ['DOCKER', 'DOCKER-ISOLATION-STAGE-1']);
  assert.deepEqual(dockerChains(undefined), []);
});

test('quick mode: the heavy one-shot scenarios run once with no warm-up; full mode keeps ≥ 5 counted runs', async () => {
  const { resolveScenario } = await lib('measure.mjs');
  const { SCENARIOS } = await import(path.join(ROOT, 'bench/scenarios/index.mjs'));
  for (const sc of SCENARIOS) {
    const full = resolveScenario(sc, { quick: false });
    assert.ok((full.runs?.full ?? 5) >= 5, `${sc.id}: ≥ 5 counted runs in full mode`);
    const quick = resolveScenario(sc, { quick: true });
    assert.ok((quick.runs?.quick ?? 3) <= 3, `${sc.id}: at most 3 counted runs in quick mode`);
  }
  for (const id of ['build', 'compose', 'pull-cold', 'run-d-50', 'stop-20', 'fs-ops', 'push']) {
    const quick = resolveScenario(
      SCENARIOS.find((x: { id: string }) => x.id === id),
      { quick: true },
    );
    assert.equal(quick.runs.quick, 1, `${id}: 1 run in quick mode`);
    assert.equal(quick.warmup, false, `${id}: no warm-up in quick mode`);
  }
  // Full mode warms up every scenario whose runs do not each start from scratch.
  for (const id of ['compose', 'pull-shared', 'stats', 'logs-100m', 'run-rm', 'exec']) {
    const full = resolveScenario(
      SCENARIOS.find((x: { id: string }) => x.id === id),
      { quick: false },
    );
    assert.notEqual(full.warmup, false, `${id}: warm-up in full mode`);
  }
});
