#!/usr/bin/env node
// Layer unpack benchmark: a ~200 MB, ~20k-file layer tar (with 2k OCI
// whiteouts) on tmpfs, unpacked by plain GNU tar and by berth's layer store
// (hashing, blob copy into the content store, escape checks, whiteout pass).
// Prints the median of N runs each and the ratio (goal: ≤ 1.3×).
//   node scripts/build.mjs && node bench/unpack.mjs [runs=5] [dir=/dev/shm]
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { openDatabase } = await import(path.join(root, 'dist/src/store/db.js'));
const { ContentStore } = await import(path.join(root, 'dist/src/store/content.js'));
const { LayerStore } = await import(path.join(root, 'dist/src/store/layers.js'));
const { TAR_EXTRACT_FLAGS } = await import(path.join(root, 'dist/src/store/unpack.js'));

const RUNS = Math.max(1, Number(process.argv[2] ?? 5));
const base = mkdtempSync(path.join(process.argv[3] ?? '/dev/shm', 'berth-bench-unpack-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  // 20k files in 200 dirs, 10 KiB average (sizes vary), plus 2k whiteouts.
  const src = path.join(base, 'src');
  let bytes = 0;
  const chunk = Buffer.alloc(40 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919) & 0xff;
  for (let d = 0; d < 200; d++) {
    const dir = path.join(src, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100; f++) {
      const size = 1024 + (((d * 100 + f) * 2654435761) % (20 * 1024));
      writeFileSync(path.join(dir, `f${f}`), chunk.subarray(0, size));
      bytes += size;
    }
    for (let w = 0; w < 10; w++) writeFileSync(path.join(dir, `.wh.gone${w}`), '');
  }
  // In the data root's tmp/, where `docker load` extracts archives.
  mkdirSync(path.join(base, 'data', 'tmp'), { recursive: true });
  const tar = path.join(base, 'data', 'tmp', 'layer.tar');
  execFileSync('tar', ['-C', src, '-cf', tar, '.']);
  rmSync(src, { recursive: true, force: true });
  console.log(`layer: ${(bytes / 1048576).toFixed(0)} MiB of content, 20000 files, 2000 whiteouts`);

  const data = path.join(base, 'data');
  const db = openDatabase(path.join(data, 'berth.db'));
  const content = new ContentStore(data, path.join(data, 'tmp'));
  const layers = new LayerStore(db, data, path.join(data, 'tmp'), content);

  // Interleaved, so load from other work on the machine hits both alike.
  const plain = [];
  const berth = [];
  const berthStream = [];
  for (let r = 0; r < RUNS; r++) {
    const out = path.join(base, `plain${r}`);
    mkdirSync(out);
    let t0 = process.hrtime.bigint();
    const res = spawnSync('tar', ['-x', '-f', tar, '-C', out, ...TAR_EXTRACT_FLAGS]);
    plain.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 0) throw new Error(res.stderr.toString());
    rmSync(out, { recursive: true, force: true });

    // A layer file on disk (docker load, registry pull into a file).
    t0 = process.hrtime.bigint();
    let layer = await layers.register({ file: tar }, null);
    berth.push(Number(process.hrtime.bigint() - t0) / 1e6);
    layers.settle([layer.chainId]);
    await layers.release(layer.chainId);

    // A layer arriving as a stream (docker import body).
    t0 = process.hrtime.bigint();
    layer = await layers.register(createReadStream(tar, { highWaterMark: 1 << 20 }), null);
    berthStream.push(Number(process.hrtime.bigint() - t0) / 1e6);
    layers.settle([layer.chainId]);
    await layers.release(layer.chainId);
  }
  db.close();

  const p = median(plain);
  const b = median(berth);
  const bs = median(berthStream);
  const line = (name, xs, m) =>
    console.log(`${name} median ${m.toFixed(0)} ms  (${xs.map((x) => x.toFixed(0)).join(', ')})`);
  line('plain tar -x          :', plain, p);
  line('berth register (file) :', berth, b);
  line('berth register (stream):', berthStream, bs);
  console.log(`ratio file   : ${(b / p).toFixed(2)}x  (goal <= 1.30x)`);
  console.log(`ratio stream : ${(bs / p).toFixed(2)}x  (includes receiving and storing the blob)`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
