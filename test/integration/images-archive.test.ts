// docker save / docker load through the real docker CLI: the round trip keeps
// image IDs across daemons; legacy docker-archives, OCI layouts, compressed
// layers and whiteouts load; hostile archives are refused; a berthd killed
// mid-load leaves no half image and no temp files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarBuffer, type TarHeader } from '../../src/image/tar-write.js';
import { DOCKER, startDaemon, type TestDaemon } from '../support/daemon.js';
import { busyboxTar } from '../support/images.js';

const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const hex = (d: string): string => d.slice(7);
const f = (
  name: string,
  data: Buffer | string,
  extra: Partial<TarHeader> = {},
): { header: TarHeader; data: Buffer } => ({
  header: { name, type: 'file', mode: 0o644, mtime: 1_700_000_000, ...extra },
  data: Buffer.isBuffer(data) ? data : Buffer.from(data),
});
const dir = (name: string): { header: TarHeader } => ({
  header: { name, type: 'dir', mode: 0o755, mtime: 1_700_000_000 },
});

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
  return r.stdout;
}

/** Two layers, the second deleting a file of the first and making a dir opaque. */
function twoLayers(): { layers: Buffer[]; config: string } {
  const l1 = tarBuffer([dir('etc'), f('etc/old', 'old'), dir('var'), f('var/a', 'a'), f('keep', 'k')]);
  const l2 = tarBuffer([
    dir('etc'),
    f('etc/.wh.old', ''),
    dir('var'),
    f('var/.wh..wh..opq', ''),
    f('var/b', 'b'),
  ]);
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    created: '2024-01-02T03:04:05Z',
    config: { Cmd: ['sh'], Labels: { made: 'by-test' } },
    rootfs: { type: 'layers', diff_ids: [sha(l1), sha(l2)] },
    history: [
      { created: '2024-01-02T03:04:05Z', created_by: 'layer one' },
      { created: '2024-01-02T03:04:05Z', created_by: 'layer two' },
    ],
  });
  return { layers: [l1, l2], config };
}

describe('docker save and load', () => {
  let a: TestDaemon;
  let b: TestDaemon;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'berth-images-archive-'));

  before(async () => {
    [a, b] = await Promise.all([startDaemon(), startDaemon()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(scratch, { recursive: true, force: true });
  });

  test('docker save | docker load into a fresh daemon keeps the image ID, tags and config', () => {
    const id = ok(
      a.docker(['import', '-c', 'CMD ["sh"]', '-', 'rt/bb:1'], { input: readFileSync(busyboxTar()) }),
      'import',
    ).trim();
    ok(a.docker(['tag', 'rt/bb:1', 'rt/bb:2']), 'tag');
    const file = path.join(scratch, 'rt.tar');
    ok(a.docker(['save', '-o', file, 'rt/bb']), 'save');
    // Docker 25+ layout: OCI index + blobs, plus manifest.json and repositories.
    const names = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const n of ['index.json', 'manifest.json', 'oci-layout', 'repositories', `blobs/sha256/${hex(id)}`])
      assert.ok(names.includes(n), `${n} in archive`);
    const manifest = JSON.parse(
      spawnSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' }).stdout,
    );
    assert.equal(manifest[0].Config, `blobs/sha256/${hex(id)}`);
    assert.deepEqual([...manifest[0].RepoTags].sort(), ['rt/bb:1', 'rt/bb:2']);

    const loaded = ok(b.docker(['load', '-i', file]), 'load');
    assert.match(loaded, /^Loaded image: rt\/bb:1$/m);
    assert.match(loaded, /^Loaded image: rt\/bb:2$/m);
    const [img] = JSON.parse(ok(b.docker(['image', 'inspect', 'rt/bb:2']), 'inspect'));
    assert.equal(img.Id, id);
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.deepEqual([...img.RepoTags].sort(), ['rt/bb:1', 'rt/bb:2']);

    // Piped, by ID: untagged in the archive, loaded as an ID.
    const saved = spawnSync(DOCKER, ['save', id], {
      env: { ...process.env, DOCKER_HOST: a.host },
      maxBuffer: 1 << 28,
    });
    assert.equal(saved.status, 0, saved.stderr.toString());
    ok(b.docker(['rmi', 'rt/bb:1', 'rt/bb:2']), 'rmi');
    const again = ok(b.docker(['load', '-q'], { input: saved.stdout }), 'load by id');
    assert.equal(again.trim(), `Loaded image ID: ${id}`);
  });

  test('a legacy docker-archive with gzip layers and whiteouts loads, and saves back to the same ID', () => {
    const { layers, config } = twoLayers();
    const id = sha(config);
    const legacy = tarBuffer([
      f(`${hex(id)}.json`, config),
      dir('l1'),
      f('l1/layer.tar', gzipSync(layers[0])),
      dir('l2'),
      f('l2/layer.tar', layers[1]),
      f(
        'manifest.json',
        JSON.stringify([
          {
            Config: `${hex(id)}.json`,
            RepoTags: ['legacy/img:v1'],
            Layers: ['l1/layer.tar', 'l2/layer.tar'],
          },
        ]),
      ),
      f('repositories', JSON.stringify({ 'legacy/img': { v1: 'l2' } })),
    ]);
    assert.match(ok(a.docker(['load'], { input: legacy }), 'load legacy'), /Loaded image: legacy\/img:v1/);
    const [img] = JSON.parse(ok(a.docker(['image', 'inspect', 'legacy/img:v1']), 'inspect'));
    assert.equal(img.Id, id);
    assert.deepEqual(img.RootFS.Layers, [sha(layers[0]), sha(layers[1])]);
    const upper = img.GraphDriver.Data.UpperDir;
    assert.ok(lstatSync(path.join(upper, 'etc/old')).isCharacterDevice(), 'whiteout as overlay char device');
    const opaque = spawnSync(
      'python3',
      [
        '-c',
        'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())',
        path.join(upper, 'var'),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(opaque.stdout.trim(), 'y', 'opaque directory marked for overlay');
    assert.equal(img.GraphDriver.Data.LowerDir.split(':').length, 1);
    const hist = ok(a.docker(['history', '--format', '{{.CreatedBy}}', 'legacy/img:v1']), 'history')
      .trim()
      .split('\n');
    assert.deepEqual(hist, ['layer two', 'layer one']);

    const out = spawnSync(DOCKER, ['save', 'legacy/img:v1'], {
      env: { ...process.env, DOCKER_HOST: a.host },
      maxBuffer: 1 << 28,
    });
    assert.equal(out.status, 0, out.stderr.toString());
    assert.match(ok(b.docker(['load'], { input: out.stdout }), 'load saved'), /Loaded image: legacy\/img:v1/);
    const [img2] = JSON.parse(ok(b.docker(['image', 'inspect', 'legacy/img:v1']), 'inspect b'));
    assert.equal(img2.Id, id, 'same image ID after save | load');
    assert.deepEqual(img2.RootFS.Layers, img.RootFS.Layers);
  });

  test('a plain OCI image layout (nested index, platform pick) loads with its annotated name', () => {
    const { layers, config } = twoLayers();
    const cfg = JSON.parse(config);
    cfg.config.Labels = { made: 'oci' };
    const rawCfg = JSON.stringify(cfg);
    const gz = layers.map((l) => gzipSync(l));
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(rawCfg),
        size: rawCfg.length,
      },
      layers: gz.map((g) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: sha(g),
        size: g.length,
      })),
    });
    const other = JSON.stringify({ schemaVersion: 2, config: { digest: sha('nope'), size: 4 }, layers: [] });
    const nested = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha(other),
          size: other.length,
          platform: { architecture: 's390x', os: 'linux' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha(manifest),
          size: manifest.length,
          platform: { architecture: 'amd64', os: 'linux' },
        },
      ],
    });
    const index = JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.index.v1+json',
          digest: sha(nested),
          size: nested.length,
          annotations: { 'io.containerd.image.name': 'docker.io/oci/layout:3' },
        },
      ],
    });
    const blobs = [rawCfg, manifest, nested, other].map((x) => f(`blobs/sha256/${hex(sha(x))}`, x));
    const archive = tarBuffer([
      f('oci-layout', '{"imageLayoutVersion": "1.0.0"}'),
      f('index.json', index),
      dir('blobs'),
      dir('blobs/sha256'),
      ...blobs,
      ...gz.map((g) => f(`blobs/sha256/${hex(sha(g))}`, g)),
    ]);
    assert.match(ok(a.docker(['load'], { input: archive }), 'load oci'), /Loaded image: oci\/layout:3/);
    const [img] = JSON.parse(ok(a.docker(['image', 'inspect', 'oci/layout:3']), 'inspect'));
    assert.equal(img.Id, sha(rawCfg));
    assert.deepEqual(img.Config.Labels, { made: 'oci' });
  });

  test('hostile archives are refused and write nothing outside', () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'berth-images-outside-'));
    try {
      // A layer that plants a symlink to a host dir, then writes through it.
      const evil = tarBuffer([
        { header: { name: 'x', type: 'symlink', linkname: outside } },
        f('x/pwned', 'owned'),
      ]);
      const imp = a.docker(['import', '-', 'evil:1'], { input: evil });
      assert.notEqual(imp.code, 0);
      assert.match(imp.stderr, /refusing to extract/);
      // The same inside a docker-archive, and an archive whose manifest points outside.
      const cfg = JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [sha(evil)] },
      });
      const arch = tarBuffer([
        f('c.json', cfg),
        f('l/layer.tar', evil),
        f(
          'manifest.json',
          JSON.stringify([{ Config: 'c.json', RepoTags: ['evil:2'], Layers: ['l/layer.tar'] }]),
        ),
      ]);
      const ld = a.docker(['load'], { input: arch });
      assert.notEqual(ld.code, 0);
      assert.match(ld.stderr + ld.stdout, /refusing to extract/);
      const escape = tarBuffer([
        { header: { name: 'ln', type: 'symlink', linkname: outside } },
        f('ln/manifest.json', '[]'),
      ]);
      const ld2 = a.docker(['load'], { input: escape });
      assert.notEqual(ld2.code, 0);
      // A legacy archive whose layer.tar is a symlink to a host file.
      const secret = path.join(outside, '..', path.basename(outside) + '-secret.tar');
      writeFileSync(secret, tarBuffer([f('stolen', 'host data')]));
      try {
        const linkCfg = JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: [sha(readFileSync(secret))] },
        });
        const viaLink = tarBuffer([
          f('c.json', linkCfg),
          dir('l'),
          { header: { name: 'l/layer.tar', type: 'symlink', linkname: secret } },
          f(
            'manifest.json',
            JSON.stringify([{ Config: 'c.json', RepoTags: ['evil:3'], Layers: ['l/layer.tar'] }]),
          ),
        ]);
        const ld3 = a.docker(['load'], { input: viaLink });
        assert.notEqual(ld3.code, 0);
        assert.match(ld3.stderr + ld3.stdout, /points outside the archive/);
        assert.equal(a.docker(['image', 'inspect', 'evil:3']).code, 1);
      } finally {
        rmSync(secret, { force: true });
      }
      assert.deepEqual(readdirSync(outside), []);
      assert.equal(a.docker(['image', 'inspect', 'evil:1']).code, 1);
      assert.equal(a.docker(['image', 'inspect', 'evil:2']).code, 1);
      assert.deepEqual(readdirSync(path.join(a.dataRoot, 'tmp')), []);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('berthd killed with SIGKILL mid-load and mid-import: no half image, no temp files after restart', async () => {
    const d = await startDaemon();
    try {
      const big = randomBytes(24 * 1024 * 1024);
      const layer = tarBuffer([f('big', big)]);
      const cfg = JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [sha(layer)] },
      });
      const archive = tarBuffer([
        f(
          'manifest.json',
          JSON.stringify([{ Config: 'c.json', RepoTags: ['half:1'], Layers: ['l/layer.tar'] }]),
        ),
        f('c.json', cfg),
        f('l/layer.tar', layer),
      ]);
      const req = http.request({
        socketPath: d.sock,
        method: 'POST',
        path: '/images/load',
        headers: { 'Content-Type': 'application/x-tar' },
      });
      req.on('error', () => undefined);
      // Send most of the archive, then wait until berthd has work in tmp/.
      req.write(archive.subarray(0, archive.length - 4 * 1024 * 1024));
      const tmp = path.join(d.dataRoot, 'tmp');
      const deadline = Date.now() + 20_000;
      while (readdirSync(tmp).length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(readdirSync(tmp).length > 0, 'load in progress');
      await d.kill('SIGKILL');
      req.destroy();
      await d.restart();
      assert.equal(d.docker(['image', 'inspect', 'half:1']).code, 1, 'no image');
      assert.equal(ok(d.docker(['images', '-q']), 'images').trim(), '');
      assert.deepEqual(readdirSync(tmp), []);
      assert.deepEqual(readdirSync(path.join(d.dataRoot, 'layers')), []);
      // And the same archive loads completely afterwards.
      assert.match(ok(d.docker(['load'], { input: archive }), 'load'), /Loaded image: half:1/);

      // The same for an import cut off by a crash.
      const imp = http.request({
        socketPath: d.sock,
        method: 'POST',
        path: '/images/create?fromSrc=-&repo=halfimp&tag=1',
      });
      imp.on('error', () => undefined);
      imp.write(layer.subarray(0, layer.length - 1024 * 1024));
      const deadline2 = Date.now() + 20_000;
      while (readdirSync(tmp).length === 0 && Date.now() < deadline2)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(readdirSync(tmp).length > 0, 'import in progress');
      await d.kill('SIGKILL');
      imp.destroy();
      await d.restart();
      assert.equal(d.docker(['image', 'inspect', 'halfimp:1']).code, 1, 'no image');
      assert.deepEqual(readdirSync(tmp), []);
      assert.equal(
        readdirSync(path.join(d.dataRoot, 'layers')).length,
        1,
        'only the loaded image keeps a layer',
      );
    } finally {
      await d.stop();
    }
  });
});
