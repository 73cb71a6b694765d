// Contract: image and container bodies against the Engine API swagger
// (docker-engine-api-v1.51.yaml), through a real berthd. Every endpoint that
// answers JSON is checked against the 2xx schema the swagger gives for it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { rawRequest } from '../support/http.js';
import { ensureBusybox } from '../support/images.js';
import { assertMatchesResponse } from '../support/schema.js';

describe('contract: images and containers', () => {
  let d: TestDaemon;
  const json = { 'Content-Type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown, status = 200): Promise<any> => {
    const r = await rawRequest(
      d.sock,
      method,
      `/v1.51${path}`,
      body === undefined ? {} : { body: JSON.stringify(body), headers: json },
    );
    assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
    return r.json;
  };

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    const tag = d.docker(['tag', 'busybox', 'contract-img:v1']);
    assert.equal(tag.code, 0, tag.stderr);
  });
  after(async () => {
    if (d) {
      const ids = d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (ids.length) d.docker(['rm', '-f', ...ids]);
      await d.stop();
    }
  });

  test('GET /images/json is a list of ImageSummary', async () => {
    const list = await call('GET', '/images/json');
    assert.ok(list.length >= 1);
    assertMatchesResponse(list, 'get', '/images/json');
  });

  test('GET /images/{name}/json is ImageInspect', async () => {
    assertMatchesResponse(await call('GET', '/images/busybox:latest/json'), 'get', '/images/{name}/json');
  });

  test('GET /images/{name}/history is a list of HistoryResponseItem', async () => {
    assertMatchesResponse(await call('GET', '/images/busybox/history'), 'get', '/images/{name}/history');
  });

  test('DELETE /images/{name} is a list of ImageDeleteResponseItem', async () => {
    assertMatchesResponse(await call('DELETE', '/images/contract-img:v1'), 'delete', '/images/{name}');
  });

  test('POST /containers/create is ContainerCreateResponse; inspect of a created container is ContainerInspectResponse', async () => {
    const created = await call(
      'POST',
      '/containers/create?name=contract-created',
      { Image: 'busybox', Cmd: ['true'] },
      201,
    );
    assertMatchesResponse(created, 'post', '/containers/create', 201);
    assertMatchesResponse(
      await call('GET', `/containers/${created.Id}/json`),
      'get',
      '/containers/{id}/json',
    );
  });

  describe('a running container', () => {
    let id: string;
    before(async () => {
      const r = d.docker([
        'run',
        '-d',
        '--name',
        'contract-run',
        '-l',
        'a=b',
        '-e',
        'X=1',
        'busybox',
        'sleep',
        '300',
      ]);
      assert.equal(r.code, 0, r.stderr);
      id = r.stdout.trim();
    });

    test('GET /containers/json lists ContainerSummary', async () => {
      const list = await call('GET', '/containers/json?all=1');
      assert.ok(list.some((c: { Id: string }) => c.Id === id));
      assertMatchesResponse(list, 'get', '/containers/json');
    });

    test('GET /containers/{id}/json is ContainerInspectResponse', async () => {
      assertMatchesResponse(await call('GET', `/containers/${id}/json`), 'get', '/containers/{id}/json');
    });

    test('GET /containers/{id}/top is ContainerTopResponse', async () => {
      assertMatchesResponse(await call('GET', `/containers/${id}/top`), 'get', '/containers/{id}/top');
    });

    test('GET /containers/{id}/stats?stream=false is ContainerStatsResponse', async () => {
      assertMatchesResponse(
        await call('GET', `/containers/${id}/stats?stream=false`),
        'get',
        '/containers/{id}/stats',
      );
    });

    test('POST /containers/{id}/update answers ContainerUpdateResponse', async () => {
      assertMatchesResponse(
        await call('POST', `/containers/${id}/update`, { CpuShares: 512 }),
        'post',
        '/containers/{id}/update',
      );
    });

    test('exec create is IdResponse; GET /exec/{id}/json is ExecInspectResponse', async () => {
      const ex = await call('POST', `/containers/${id}/exec`, { Cmd: ['true'], AttachStdout: true }, 201);
      assertMatchesResponse(ex, 'post', '/containers/{id}/exec', 201);
      assertMatchesResponse(await call('GET', `/exec/${ex.Id}/json`), 'get', '/exec/{id}/json');
    });

    test('POST /containers/{id}/wait is ContainerWaitResponse; a stopped container still inspects to the schema', async () => {
      const stop = d.docker(['kill', id]);
      assert.equal(stop.code, 0, stop.stderr);
      assertMatchesResponse(await call('POST', `/containers/${id}/wait`), 'post', '/containers/{id}/wait');
      assertMatchesResponse(await call('GET', `/containers/${id}/json`), 'get', '/containers/{id}/json');
    });

    test('POST /containers/prune is ContainerPruneResponse', async () => {
      assertMatchesResponse(await call('POST', '/containers/prune'), 'post', '/containers/prune');
    });
  });
});
