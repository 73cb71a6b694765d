// skopeo as the other client: it pushes a multi-arch OCI index (two
// platforms), gzip and zstd layers into docker-registry, berth pulls them
// (platform choice, --platform, no match), and skopeo reads back what berth
// pushed, checking every digest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { busyboxTar, ensureBusybox } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { removeDirSync } from '../support/teardown.js';

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const hostArch = process.arch === 'x64' ? 'amd64' : process.arch;
const otherArch = hostArch === 'amd64' ? 'arm64' : 'amd64';

/** An OCI image layout with `tag` → an index of one image per arch (or one manifest when `index` is false). */
function ociLayout(
  dir: string,
  tag: string,
  o: { archs: string[]; compression: 'gzip' | 'zstd'; index: boolean },
): void {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer | string): { digest: string; size: number } => {
    const buf = Buffer.from(b);
    const digest = sha(buf);
    writeFileSync(path.join(dir, 'blobs', 'sha256', digest.slice(7)), buf);
    return { digest, size: buf.length };
  };
  const tar = readFileSync(busyboxTar());
  let layer: Buffer;
  if (o.compression === 'gzip') layer = gzipSync(tar);
  else {
    const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, 'zstd failed');
    layer = r.stdout;
  }
  const l = put(layer);
  const manifests = o.archs.map((arch) => {
    const config = put(
      JSON.stringify({
        architecture: arch,
        os: 'linux',
        config: { Cmd: ['sh'], Labels: { arch } },
        created: '2024-01-01T00:00:00Z',
        rootfs: { type: 'layers', diff_ids: [sha(tar)] },
        history: [{ created: '2024-01-01T00:00:00Z', created_by: 'test' }],
      }),
    );
    const m = put(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: `application/vnd.oci.image.layer.v1.tar+${o.compression}`, ...l }],
      }),
    );
    return {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...m,
      platform: { architecture: arch, os: 'linux' },
    };
  });
  let top: object;
  if (o.index) {
    const idx = put(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
    );
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', ...idx };
  } else top = { ...manifests[0], platform: undefined };
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion": "1.0.0"}');
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}

function skopeo(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe('skopeo ⇄ berth through docker-registry', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let work: string;

  before(async () => {
    reg = await startRegistry();
    d = await startDaemon();
    work = mkdtempSync(path.join(os.tmpdir(), 'berth-skopeo-'));
    const multi = path.join(work, 'multi');
    ociLayout(multi, 'v1', { archs: [hostArch, otherArch], compression: 'gzip', index: true });
    ok(
      skopeo([
        'copy',
        '--all',
        '--dest-tls-verify=false',
        `oci:${multi}:v1`,
        `docker://${reg.host}/multi:v1`,
      ]),
      'skopeo copy multi',
    );
    const zst = path.join(work, 'zstd');
    ociLayout(zst, 'z', { archs: [hostArch], compression: 'zstd', index: false });
    ok(
      skopeo(['copy', '--dest-tls-verify=false', `oci:${zst}:z`, `docker://${reg.host}/zstd:z`]),
      'skopeo copy zstd',
    );
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    if (work) removeDirSync(work);
  });

  test('a multi-arch index resolves to the host platform, and the image runs', () => {
    const out = ok(d.docker(['pull', `${reg.host}/multi:v1`]), 'pull multi');
    assert.match(out, /Pull complete/);
    const insp = JSON.parse(ok(d.docker(['image', 'inspect', `${reg.host}/multi:v1`]), 'inspect'))[0];
    assert.equal(insp.Architecture, hostArch);
    assert.equal(insp.Config.Labels.arch, hostArch);
    const run = ok(
      d.docker(['run', '--rm', '--network', 'none', `${reg.host}/multi:v1`, 'echo', 'multi-arch-ok']),
      'run',
    );
    assert.equal(run.trim(), 'multi-arch-ok');
  });

  test('--platform picks the other entry; the layer is shared', () => {
    const out = ok(
      d.berth(['pull', '--platform', `linux/${otherArch}`, `${reg.host}/multi:v1`]),
      'pull other arch',
    );
    assert.match(out, /Already exists/);
    const insp = JSON.parse(ok(d.docker(['image', 'inspect', `${reg.host}/multi:v1`]), 'inspect'))[0];
    assert.equal(insp.Architecture, otherArch);
  });

  test('an index without the platform says so', () => {
    const r = d.docker(['pull', '--platform', 'linux/s390x', `${reg.host}/multi:v1`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  test('zstd layers in an OCI manifest', () => {
    ok(d.docker(['pull', `${reg.host}/zstd:z`]), 'pull zstd');
    const run = ok(
      d.docker(['run', '--rm', '--network', 'none', `${reg.host}/zstd:z`, 'echo', 'zstd-ok']),
      'run zstd',
    );
    assert.equal(run.trim(), 'zstd-ok');
  });

  test('skopeo pulls what berth pushed and checks every digest', async () => {
    await ensureBusybox(d, `${reg.host}/from-berth:1`);
    ok(d.berth(['push', `${reg.host}/from-berth:1`]), 'berth push');
    const dest = path.join(work, 'back');
    ok(
      skopeo(['copy', '--src-tls-verify=false', `docker://${reg.host}/from-berth:1`, `oci:${dest}:1`]),
      'skopeo copy back',
    );
    const inspect = JSON.parse(
      ok(skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/from-berth:1`]), 'skopeo inspect'),
    );
    assert.equal(inspect.Architecture, hostArch);
    assert.equal(inspect.Layers.length, 1);
  });
});
