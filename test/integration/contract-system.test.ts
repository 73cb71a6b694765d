// Contract: the system endpoints' bodies against the Engine API swagger
// (docker-engine-api-v1.51.yaml), through a real berthd.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { rawRequest } from '../support/http.js';
import { assertMatchesResponse, assertMatchesSchema, schemaErrors } from '../support/schema.js';

describe('contract: system endpoints', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  test('GET /version matches SystemVersion', async () => {
    const r = await rawRequest(d.sock, 'GET', '/v1.51/version');
    assert.equal(r.status, 200);
    assertMatchesResponse(r.json, 'get', '/version');
    assertMatchesSchema(r.json, '#/definitions/SystemVersion');
  });

  test('GET /info matches SystemInfo', async () => {
    const r = await rawRequest(d.sock, 'GET', '/v1.51/info');
    assert.equal(r.status, 200);
    assertMatchesResponse(r.json, 'get', '/info');
  });

  test('GET /_ping answers the documented plain-text body', async () => {
    const r = await rawRequest(d.sock, 'GET', '/_ping');
    assert.equal(r.status, 200);
    assert.deepEqual(schemaErrors(r.body, { type: 'string' }), []);
    assert.equal(r.body, 'OK');
  });

  test('errors match ErrorResponse', async () => {
    for (const p of ['/v1.51/no/such/path', '/v1.99/version']) {
      const r = await rawRequest(d.sock, 'GET', p);
      assert.ok(r.status >= 400);
      assertMatchesSchema(r.json, '#/definitions/ErrorResponse');
    }
  });
});
