// A loopback registry (Debian's docker-registry, distribution 2.8) with its
// own storage dir, and a generated 5-layer ~300 MiB image uploaded through
// the Distribution HTTP API, so neither engine builds what the other pulls.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  openSync,
  closeSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { must, killPid, sleep, settlesWithin } from './proc.mjs';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a registry on 127.0.0.1; `restart({ wipe: true })` empties its storage. */
export async function startRegistry(dir, port) {
  mkdirSync(dir, { recursive: true });
  port ??= await freePort();
  const storage = path.join(dir, 'storage');
  const cfg = path.join(dir, 'config.yml');
  writeFileSync(
    cfg,
    [
      'version: 0.1',
      'log: { level: error }',
      `storage: { filesystem: { rootdirectory: ${storage} }, delete: { enabled: true } }`,
      `http: { addr: 127.0.0.1:${port} }`,
      '',
    ].join('\n'),
  );
  const reg = { host: `127.0.0.1:${port}`, port, dir, child: undefined };
  reg.start = async () => {
    mkdirSync(storage, { recursive: true });
    const log = openSync(path.join(dir, 'registry.log'), 'a');
    reg.child = spawn(REGISTRY_BIN, ['serve', cfg], { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    reg.exited = new Promise((r) => reg.child.once('exit', r));
    for (let i = 0; i < 100; i++) {
      if ((await request(reg, 'GET', '/v2/').catch(() => ({ status: 0 }))).status === 200) return;
      await sleep(100);
    }
    throw new Error(
      `registry on ${reg.host} never answered: ${readFileSync(path.join(dir, 'registry.log'), 'utf8').slice(-500)}`,
    );
  };
  reg.stop = async () => {
    if (!reg.child || reg.child.exitCode !== null || reg.child.signalCode) return;
    killPid(reg.child.pid, 'SIGTERM');
    if (!(await settlesWithin(reg.exited, 5000))) {
      killPid(reg.child.pid, 'SIGKILL');
      await reg.exited;
    }
  };
  reg.restart = async ({ wipe = false } = {}) => {
    await reg.stop();
    if (wipe) rmSync(storage, { recursive: true, force: true });
    await reg.start();
  };
  await reg.start();
  return reg;
}

function request(reg, method, urlPath, { headers = {}, body, file } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: reg.port, method, path: urlPath, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    if (file) createReadStream(file).pipe(req);
    else req.end(body);
  });
}

async function putBlob(reg, repo, file, digest, size) {
  if ((await request(reg, 'HEAD', `/v2/${repo}/blobs/${digest}`)).status === 200) return;
  const start = await request(reg, 'POST', `/v2/${repo}/blobs/uploads/`, {
    headers: { 'Content-Length': 0 },
  });
  if (start.status !== 202) throw new Error(`upload start: ${start.status} ${start.body}`);
  const loc = new URL(start.headers.location, `http://${reg.host}`);
  loc.searchParams.set('digest', digest);
  const put = await request(reg, 'PUT', loc.pathname + loc.search, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size },
    file,
  });
  if (put.status !== 201) throw new Error(`blob PUT: ${put.status} ${put.body}`);
}

const sha = (buf) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;

/**
 * Builds the layer tars once under `dir`: layer 0 is the busybox rootfs plus
 * data, layers 1–3 data only; `variant` gives the 5th layer its own content,
 * so two variants share 4 layers. Each layer holds `filePairs` × 4 MiB (half
 * random): 15 pairs make ~60 MiB a layer, ~300 MiB an image.
 */
function makeLayers(dir, busyboxTar, variant, filePairs) {
  const layers = [];
  for (let i = 0; i < 5; i++) {
    const key = i < 4 ? `l${i}` : `l4-${variant}`;
    const gz = path.join(dir, `${key}.tar.gz`);
    let meta;
    try {
      meta = JSON.parse(readFileSync(`${gz}.json`, 'utf8'));
    } catch {
      const root = path.join(dir, `${key}-root`);
      mkdirSync(path.join(root, `data/${key}`), { recursive: true });
      if (i === 0) must('tar', ['-xf', busyboxTar, '-C', root]);
      // Half random (incompressible), half text (compressible): gzip ~2:1, like real layers.
      for (let f = 0; f < filePairs; f++) {
        const block = randomBytes(2 * 1024 * 1024);
        writeFileSync(path.join(root, `data/${key}/rand${f}`), block);
        writeFileSync(
          path.join(root, `data/${key}/text${f}`),
          `${key} line ${f}\n`.repeat((2 * 1024 * 1024) / 12),
        );
      }
      const tar = path.join(dir, `${key}.tar`);
      must('tar', [
        '-cf',
        tar,
        '--sort=name',
        '--mtime=@0',
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '-C',
        root,
        '.',
      ]);
      rmSync(root, { recursive: true, force: true });
      const raw = readFileSync(tar);
      const zipped = gzipSync(raw, { level: 1 });
      writeFileSync(gz, zipped);
      rmSync(tar);
      meta = { digest: sha(zipped), diffId: sha(raw), size: zipped.length, rawSize: raw.length };
      writeFileSync(`${gz}.json`, JSON.stringify(meta));
    }
    layers.push({ ...meta, file: gz });
  }
  return layers;
}

/** Uploads `<repo>:<tag>` (5 layers) and returns its total compressed and raw sizes. */
export async function pushGeneratedImage(reg, dir, busyboxTar, repo, tag, variant, filePairs = 15) {
  mkdirSync(dir, { recursive: true });
  const layers = makeLayers(dir, busyboxTar, variant, filePairs);
  for (const l of layers) await putBlob(reg, repo, l.file, l.digest, l.size);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `bench layer ${i}` })),
    }),
  );
  const cfgFile = path.join(dir, `config-${variant}.json`);
  writeFileSync(cfgFile, config);
  await putBlob(reg, repo, cfgFile, sha(config), config.length);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: config.length,
      digest: sha(config),
    },
    layers: layers.map((l) => ({
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      size: l.size,
      digest: l.digest,
    })),
  });
  const put = await request(reg, 'PUT', `/v2/${repo}/manifests/${tag}`, {
    headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest PUT: ${put.status} ${put.body}`);
  return {
    compressed: layers.reduce((a, l) => a + l.size, 0),
    raw: layers.reduce((a, l) => a + l.rawSize, 0),
  };
}

export const fileSize = (f) => statSync(f).size;
