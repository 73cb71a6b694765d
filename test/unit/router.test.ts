// The route table: literal segments, :params, *wildcards spanning slashes
// (image names), and the difference between "no such path" and "wrong method".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../src/api/router.js';

const h1 = (): void => undefined;
const h2 = (): void => undefined;
const h3 = (): void => undefined;

function table(): Router {
  return new Router()
    .get('/containers/json', h1)
    .get('/containers/:id/json', h2)
    .post('/containers/:id/start', h2)
    .get('/images/*name/json', h3)
    .delete('/images/*name', h3);
}

test('literal paths match exactly and win by registration order', () => {
  const m = table().match('GET', '/containers/json');
  assert.ok(m && m !== 'method');
  assert.equal(m.handler, h1);
  assert.deepEqual(m.params, {});
});

test(':param takes one segment, URL-decoded', () => {
  const m = table().match('GET', '/containers/my%20box/json');
  assert.ok(m && m !== 'method');
  assert.equal(m.handler, h2);
  assert.deepEqual(m.params, { id: 'my box' });
  assert.equal(table().match('GET', '/containers/a/b/json'), null);
});

test('*wildcard takes several segments and leaves the tail to the pattern', () => {
  const m = table().match('GET', '/images/registry.local:5000/team/app/json');
  assert.ok(m && m !== 'method');
  assert.deepEqual(m.params, { name: 'registry.local:5000/team/app' });
  const del = table().match('DELETE', '/images/library/busybox:latest');
  assert.ok(del && del !== 'method');
  assert.deepEqual(del.params, { name: 'library/busybox:latest' });
  // The wildcard needs at least one segment.
  assert.equal(new Router().get('/images/*name/json', h3).match('GET', '/images/json'), null);
});

test('a known path under another method is "method", an unknown path is null', () => {
  assert.equal(table().match('DELETE', '/containers/abc/json'), 'method');
  assert.equal(table().match('GET', '/containers/abc/start'), 'method');
  assert.equal(table().match('GET', '/nothing/here'), null);
  assert.equal(table().match('GET', '/containers'), null);
});

test('trailing and doubled slashes do not change the match', () => {
  const m = table().match('GET', '/containers/json/');
  assert.ok(m && m !== 'method');
  assert.equal(m.handler, h1);
});
