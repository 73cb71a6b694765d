// The benchmark harness's pure parts (bench/lib): statistics, pairwise
// ratios, table formatting and the PNG chart. Timings are never asserted;
// this only proves the numbers and files the bench writes are right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
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
