// Contract: the volume endpoints, the archive stat header and container
// Mounts against the Engine API swagger, through a real berthd.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { rawRequest } from '../support/http.js';
import { assertMatchesResponse, assertMatchesSchema } from '../support/schema.js';

describe('contract: volumes and archive', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    await d?.stop();
  });

  const json = (body: unknown) => ({
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });

  test('create, list, inspect, prune and delete match the swagger', async () => {
    const c = await rawRequest(
      d.sock,
      'POST',
      '/v1.51/volumes/create',
      json({ Name: 'apivol', Labels: { k: 'v' }, DriverOpts: {} }),
    );
    assert.equal(c.status, 201, c.body);
    assertMatchesResponse(c.json, 'post', '/volumes/create', 201);
    const again = await rawRequest(d.sock, 'POST', '/v1.51/volumes/create', json({ Name: 'apivol' }));
    assert.equal(again.status, 201, 'creating an existing volume answers it');
    const bad = await rawRequest(d.sock, 'POST', '/v1.51/volumes/create', json({ Name: 'a/b' }));
    assert.equal(bad.status, 400);
    const l = await rawRequest(d.sock, 'GET', '/v1.51/volumes');
    assertMatchesResponse(l.json, 'get', '/volumes');
    const i = await rawRequest(d.sock, 'GET', '/v1.51/volumes/apivol');
    assertMatchesSchema(i.json, '#/definitions/Volume');
    const nf = await rawRequest(d.sock, 'GET', '/v1.51/volumes/nope');
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json, { message: 'get nope: no such volume' });
    const badFilter = await rawRequest(
      d.sock,
      'GET',
      '/v1.51/volumes?filters=' + encodeURIComponent('{"bogus":{"x":true}}'),
    );
    assert.equal(badFilter.status, 400);
    const p = await rawRequest(d.sock, 'POST', '/v1.51/volumes/prune');
    assertMatchesResponse(p.json, 'post', '/volumes/prune');
    const del = await rawRequest(d.sock, 'DELETE', '/v1.51/volumes/apivol');
    assert.equal(del.status, 204);
  });

  test('container Mounts and the archive stat header', async () => {
    const c = await rawRequest(
      d.sock,
      'POST',
      '/v1.51/containers/create?name=apimounts',
      json({
        Image: 'busybox',
        Volumes: { '/anon': {} },
        HostConfig: {
          NetworkMode: 'none',
          Binds: ['apinamed:/named'],
          Mounts: [{ Type: 'tmpfs', Target: '/tmp/t' }],
        },
      }),
    );
    assert.equal(c.status, 201, c.body);
    const i = await rawRequest(d.sock, 'GET', '/v1.51/containers/apimounts/json');
    const mounts = (i.json as { Mounts: unknown[] }).Mounts;
    assert.equal(mounts.length, 3);
    for (const m of mounts) assertMatchesSchema(m, '#/definitions/MountPoint');
    const h = await rawRequest(d.sock, 'HEAD', '/v1.51/containers/apimounts/archive?path=/etc/passwd');
    assert.equal(h.status, 200);
    const stat = JSON.parse(
      Buffer.from(String(h.headers['x-docker-container-path-stat']), 'base64').toString(),
    );
    assert.equal(stat.name, 'passwd');
    assert.equal(stat.mode, 0o644);
    assert.equal(stat.linkTarget, '');
    assert.match(stat.mtime, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const dir = await rawRequest(d.sock, 'HEAD', '/v1.51/containers/apimounts/archive?path=/named');
    const dstat = JSON.parse(
      Buffer.from(String(dir.headers['x-docker-container-path-stat']), 'base64').toString(),
    );
    assert.equal(dstat.mode, 2 ** 31 + 0o755);
    const missing = await rawRequest(d.sock, 'GET', '/v1.51/containers/apimounts/archive?path=/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { message: 'Could not find the file /nope in container apimounts' });
    const inUse = await rawRequest(d.sock, 'DELETE', '/v1.51/volumes/apinamed');
    assert.equal(inUse.status, 409);
    const rm = await rawRequest(d.sock, 'DELETE', '/v1.51/containers/apimounts?v=1');
    assert.equal(rm.status, 204);
    assert.equal((await rawRequest(d.sock, 'DELETE', '/v1.51/volumes/apinamed')).status, 204);
  });
});
