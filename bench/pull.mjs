#!/usr/bin/env node
// Registry transfer benchmark: a 5-layer image (~300 MB of gzip layers by
// default) in a loopback docker-registry, pulled cold and with 4 of 5 layers
// already present, then pushed to a new repository — by a private dockerd
// and by berthd, same registry, same docker CLI, interleaved runs. Prints
// medians and berth's speed-up (goal: pull ≥ 1.5× faster, push at least as fast).
//   node scripts/build.mjs && node bench/pull.mjs [--runs 3] [--mb 300]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startBerthd, startDockerd } from './lib/engines.mjs';
import { must, sleep } from './lib/proc.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = Math.max(1, arg('runs', 3));
const TOTAL_MB = Math.max(5, arg('mb', 300));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sha = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');

const base = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-pull-'));
const cleanups = [];
const cleanup = async () => {
  for (const f of cleanups.reverse()) await f().catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
};
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));

/** A layer tar of one file of half-compressible bytes (real layers compress ~2-3×). */
function layerTar(name, bytes, seed) {
  const data = Buffer.alloc(bytes);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < bytes; i += 4) {
    x = (x * 1664525 + 1013904223) >>> 0;
    data.writeUInt32LE(i % 8 === 0 ? x : 0x20202020, i);
  }
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(bytes.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const pad = Buffer.alloc((512 - (bytes % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

/** An OCI layout with `tag` → a 5-layer image; `variant` changes only the top layer. */
function layout(dir, tag, variant) {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b) => {
    const digest = sha(b);
    writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), b);
    return { digest, size: b.length };
  };
  const per = Math.floor((TOTAL_MB * 1024 * 1024 * 2) / 5); // ~2× compression
  const layers = [];
  const diffIds = [];
  for (let i = 0; i < 5; i++) {
    const tar = layerTar(`layer${i}.bin`, per - (per % 4), i === 4 ? 100 + variant : i + 1);
    diffIds.push(sha(tar));
    layers.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      ...put(gzipSync(tar, { level: 1 })),
    });
  }
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        os: 'linux',
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startRegistry() {
  const dir = path.join(base, 'registry');
  mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${dir}/storage`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/bin/docker-registry', ['serve', path.join(dir, 'config.yml')], {
    stdio: 'ignore',
  });
  cleanups.push(async () => child.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (up) break;
    await sleep(50);
  }
  return `127.0.0.1:${port}`;
}

function wipe(eng) {
  const ids = [...new Set(eng.cli(['images', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean))];
  if (ids.length) eng.cli(['rmi', '-f', ...ids]);
}

try {
  const host = await startRegistry();
  console.error(`building the ${TOTAL_MB} MB image layouts…`);
  for (const [name, variant] of [
    ['a', 0],
    ['b', 1],
  ]) {
    const dir = path.join(base, `layout-${name}`);
    layout(dir, 'v1', variant);
    must('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      `oci:${dir}:v1`,
      `docker://${host}/bench/img-${name}:v1`,
    ]);
    rmSync(dir, { recursive: true, force: true });
  }
  const dockerd = await startDockerd(path.join(base, 'dockerd'));
  cleanups.push(() => dockerd.stop());
  const berthd = await startBerthd(path.join(base, 'berthd'), root);
  cleanups.push(() => berthd.stop());
  const engines = [dockerd, berthd];
  const results = { 'pull cold': {}, 'pull, 4 of 5 layers shared': {}, push: {} };
  for (let r = 0; r < RUNS; r++) {
    for (const eng of r % 2 ? [...engines].reverse() : engines) {
      wipe(eng);
      const cold = eng.cli.timed(['pull', '-q', `${host}/bench/img-a:v1`]);
      const shared = eng.cli.timed(['pull', '-q', `${host}/bench/img-b:v1`]);
      const target = `${host}/bench/pushed-${eng.name}-${r}:v1`;
      eng.cli.ok(['tag', `${host}/bench/img-a:v1`, target]);
      // A new repository without mountable sources: every layer is uploaded.
      const push = eng.cli.timed(['push', '-q', target]);
      for (const [k, v] of [
        ['pull cold', cold],
        ['pull, 4 of 5 layers shared', shared],
        ['push', push],
      ])
        (results[k][eng.name] ??= []).push(v);
    }
  }
  console.log(`\n${TOTAL_MB} MB, 5 layers, loopback docker-registry, median of ${RUNS}\n`);
  console.log(
    'scenario'.padEnd(30) + 'dockerd ms'.padStart(12) + 'berthd ms'.padStart(12) + 'speed-up'.padStart(10),
  );
  for (const [k, v] of Object.entries(results)) {
    const dm = median(v.dockerd);
    const bm = median(v.berthd);
    console.log(
      k.padEnd(30) +
        dm.toFixed(0).padStart(12) +
        bm.toFixed(0).padStart(12) +
        `${(dm / bm).toFixed(2)}×`.padStart(10),
    );
  }
} finally {
  await cleanup();
}
