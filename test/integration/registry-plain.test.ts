// Pull and push against Debian's docker-registry over plain HTTP on
// loopback, driven by the real docker CLI against berthd: progress lines,
// digests, up-to-date pulls, missing tags, cross-repository mounts, and a
// pulled image that runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function registryGet(
  reg: TestRegistry,
  p: string,
  accept?: string,
): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const res = await fetch(`http://${reg.host}${p}`, { headers: accept ? { Accept: accept } : {} });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

describe('registry over plain HTTP (docker CLI → berthd → docker-registry)', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let image: string;
  let pushedDigest: string;

  before(async () => {
    reg = await startRegistry();
    d = await startDaemon();
    image = `${reg.host}/busybox:latest`;
    await ensureBusybox(d, image);
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
  });

  test('docker push uploads the layer, config and manifest and prints the digest', async () => {
    const out = ok(d.docker(['push', image]), 'push');
    assert.match(out, new RegExp(`The push refers to repository \\[${reg.host}/busybox\\]`));
    assert.match(out, /: Pushed/);
    const m = /latest: digest: (sha256:[a-f0-9]{64}) size: (\d+)/.exec(out);
    assert.ok(m, out);
    pushedDigest = m[1];
    const got = await registryGet(
      reg,
      '/v2/busybox/manifests/latest',
      'application/vnd.oci.image.manifest.v1+json',
    );
    assert.equal(got.status, 200);
    assert.equal('sha256:' + createHash('sha256').update(got.body).digest('hex'), pushedDigest);
    const manifest = JSON.parse(got.body.toString());
    const layer = await registryGet(reg, `/v2/busybox/blobs/${manifest.layers[0].digest}`);
    assert.equal(
      'sha256:' + createHash('sha256').update(layer.body).digest('hex'),
      manifest.layers[0].digest,
    );
    // The image now carries its repo digest.
    const insp = JSON.parse(ok(d.docker(['image', 'inspect', image]), 'inspect'))[0];
    assert.ok(
      insp.RepoDigests.includes(`${reg.host}/busybox@${pushedDigest}`),
      JSON.stringify(insp.RepoDigests),
    );
  });

  test('a second push finds every layer already there', () => {
    const out = ok(d.docker(['push', image]), 'push again');
    assert.match(out, /Layer already exists/);
    assert.doesNotMatch(out, /: Pushed/);
  });

  test('docker pull fetches, verifies and records the image; it runs', () => {
    ok(d.docker(['rmi', image]), 'rmi');
    const r = d.docker(['pull', image]);
    const out = ok(r, 'pull');
    assert.match(out, /latest: Pulling from busybox/);
    assert.match(out, /Pull complete/);
    assert.match(out, new RegExp(`Digest: ${pushedDigest}`));
    assert.match(out, new RegExp(`Status: Downloaded newer image for ${reg.host}/busybox:latest`));
    assert.equal(out.trim().split('\n').pop(), image);
    const run = ok(
      d.docker(['run', '--rm', '--network', 'none', image, 'echo', 'pulled-and-running']),
      'run',
    );
    assert.equal(run.trim(), 'pulled-and-running');
  });

  test('pulling again says the image is up to date', () => {
    const out = ok(d.docker(['pull', image]), 'pull again');
    assert.match(out, new RegExp(`Status: Image is up to date for ${reg.host}/busybox:latest`));
  });

  test('pull by digest', () => {
    const byDigest = `${reg.host}/busybox@${pushedDigest}`;
    const out = ok(d.docker(['pull', byDigest]), 'pull by digest');
    assert.match(out, new RegExp(`Digest: ${pushedDigest}`));
    const insp = JSON.parse(ok(d.docker(['image', 'inspect', byDigest]), 'inspect by digest'))[0];
    assert.ok(insp.RepoDigests.includes(byDigest));
  });

  test("a missing tag fails with Docker's text", () => {
    const r = d.docker(['pull', `${reg.host}/busybox:nope`]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `Error response from daemon: manifest for ${reg.host}/busybox:nope not found: manifest unknown: manifest unknown`,
      ),
    );
  });

  test('pushing to another repository of the same registry mounts the layer', () => {
    const other = `${reg.host}/mirror/copy:v1`;
    ok(d.docker(['tag', image, other]), 'tag');
    const out = ok(d.docker(['push', other]), 'push other');
    assert.match(out, /Mounted from busybox/);
    assert.match(out, /v1: digest: sha256:/);
  });

  test('berth pull and push show the same lines', () => {
    ok(d.berth(['rmi', `${reg.host}/mirror/copy:v1`]), 'berth rmi');
    const out = ok(d.berth(['pull', `${reg.host}/mirror/copy:v1`]), 'berth pull');
    assert.match(out, /v1: Pulling from mirror\/copy/);
    assert.match(
      out,
      new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${reg.host}/mirror/copy:v1`),
    );
    assert.equal(out.trim().split('\n').pop(), `${reg.host}/mirror/copy:v1`);
    const push = ok(d.berth(['push', `${reg.host}/mirror/copy:v1`]), 'berth push');
    assert.match(push, /Layer already exists/);
    assert.match(push, /v1: digest: sha256:[a-f0-9]{64} size: \d+/);
  });

  test('pull --all-tags fetches every tag', () => {
    ok(d.docker(['tag', image, `${reg.host}/busybox:second`]), 'tag second');
    ok(d.docker(['push', `${reg.host}/busybox:second`]), 'push second');
    ok(d.docker(['rmi', `${reg.host}/busybox:second`, image]), 'rmi both');
    const out = ok(d.docker(['pull', '--all-tags', `${reg.host}/busybox`]), 'pull -a');
    assert.match(out, /latest: Pulling from busybox/);
    assert.match(out, /second: Pulling from busybox/);
    const list = ok(
      d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}', `${reg.host}/busybox`]),
      'images',
    );
    assert.deepEqual(
      list
        .trim()
        .split('\n')
        .filter((l) => l.includes('/busybox:'))
        .sort(),
      [`${reg.host}/busybox:latest`, `${reg.host}/busybox:second`],
    );
  });

  test('push --all-tags pushes every local tag of the repository', () => {
    for (const cli of [d.docker.bind(d), d.berth.bind(d)]) {
      const out = ok(cli(['push', '--all-tags', `${reg.host}/busybox`]), 'push -a');
      assert.match(out, /latest: digest: sha256:[a-f0-9]{64} size: \d+/);
      assert.match(out, /second: digest: sha256:[a-f0-9]{64} size: \d+/);
    }
  });
});
