import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicCredentials,
  decodeRegistryAuth,
  encodeRegistryAuth,
  parseChallenges,
  repositoryScope,
} from '../../src/distribution/auth.js';

test('parses a Docker Hub bearer challenge', () => {
  const [c] = parseChallenges(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
  );
  assert.equal(c.scheme, 'bearer');
  assert.deepEqual(c.params, {
    realm: 'https://auth.docker.io/token',
    service: 'registry.docker.io',
    scope: 'repository:library/busybox:pull',
  });
});

test('parses Basic and several challenges in one header, with escapes', () => {
  const cs = parseChallenges(['Basic realm="a \\"quoted\\" realm"', 'Bearer realm=https://x/t, service=reg']);
  assert.equal(cs.length, 2);
  assert.equal(cs[0].scheme, 'basic');
  assert.equal(cs[0].params.realm, 'a "quoted" realm');
  assert.deepEqual(cs[1].params, { realm: 'https://x/t', service: 'reg' });
  assert.deepEqual(parseChallenges(undefined), []);
});

test('X-Registry-Auth round-trips as base64url JSON; junk is anonymous', () => {
  const a = { username: 'u', password: 'p?>>', serveraddress: 'localhost:5000' };
  const enc = encodeRegistryAuth(a);
  assert.doesNotMatch(enc, /[+/=]/);
  assert.deepEqual(decodeRegistryAuth(enc), a);
  // The docker CLI sends standard base64 too.
  assert.deepEqual(decodeRegistryAuth(Buffer.from(JSON.stringify(a)).toString('base64')), a);
  assert.equal(decodeRegistryAuth('%%%'), undefined);
  assert.equal(decodeRegistryAuth(undefined), undefined);
});

test('basic credentials from username/password or the `auth` field', () => {
  assert.deepEqual(basicCredentials({ username: 'a', password: 'b' }), { username: 'a', password: 'b' });
  assert.deepEqual(basicCredentials({ auth: Buffer.from('x:y:z').toString('base64') }), {
    username: 'x',
    password: 'y:z',
  });
  assert.equal(basicCredentials({}), null);
  assert.equal(basicCredentials(undefined), null);
});

test('repository scopes', () => {
  assert.equal(repositoryScope('library/busybox', ['pull', 'push']), 'repository:library/busybox:pull,push');
});
