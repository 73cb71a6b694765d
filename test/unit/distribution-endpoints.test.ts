import { test } from 'node:test';
import assert from 'node:assert/strict';
import { credentialKey, endpointsFor, isInsecure, serverDomain } from '../../src/distribution/endpoints.js';
import { formatPlatform, parsePlatform, pickManifest } from '../../src/distribution/platform.js';
import { checkSearchArgs, splitSearchTerm } from '../../src/distribution/search.js';

const none = { insecureRegistries: [], registryMirrors: [] };

test('docker.io is served by registry-1.docker.io, mirrors first', () => {
  assert.deepEqual(
    endpointsFor('docker.io', none).map((e) => e.url),
    ['https://registry-1.docker.io'],
  );
  const eps = endpointsFor('docker.io', {
    insecureRegistries: [],
    registryMirrors: ['https://mirror.example.com/', 'http://10.0.0.5:5000'],
  });
  assert.deepEqual(
    eps.map((e) => [e.url, e.mirror, e.skipVerify]),
    [
      ['https://mirror.example.com', true, false],
      ['http://10.0.0.5:5000', true, true],
      ['https://registry-1.docker.io', false, false],
    ],
  );
  // Mirrors are only for Docker Hub.
  assert.deepEqual(
    endpointsFor('ghcr.io', { insecureRegistries: [], registryMirrors: ['https://m'] }).map((e) => e.url),
    ['https://ghcr.io'],
  );
});

test('loopback and configured insecure registries fall back to plain HTTP', () => {
  assert.equal(isInsecure('127.0.0.1:5000', none), true);
  assert.equal(isInsecure('localhost:5000', none), true);
  assert.equal(isInsecure('[::1]:5000', none), true);
  assert.equal(isInsecure('registry.example.com', none), false);
  assert.equal(
    isInsecure('registry.example.com:5000', {
      insecureRegistries: ['registry.example.com:5000'],
      registryMirrors: [],
    }),
    true,
  );
  assert.equal(
    isInsecure('10.1.2.3:5000', { insecureRegistries: ['10.0.0.0/8'], registryMirrors: [] }),
    true,
  );
  assert.equal(
    isInsecure('11.1.2.3:5000', { insecureRegistries: ['10.0.0.0/8'], registryMirrors: [] }),
    false,
  );
  assert.deepEqual(
    endpointsFor('127.0.0.1:5000', none).map((e) => e.url),
    ['https://127.0.0.1:5000', 'http://127.0.0.1:5000'],
  );
  assert.deepEqual(
    endpointsFor('example.com', none).map((e) => e.url),
    ['https://example.com'],
  );
});

test('login server names and credential keys like the docker CLI', () => {
  assert.equal(serverDomain(''), 'docker.io');
  assert.equal(serverDomain('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(serverDomain('docker.io'), 'docker.io');
  assert.equal(serverDomain('https://localhost:5000/'), 'localhost:5000');
  assert.equal(serverDomain('ghcr.io'), 'ghcr.io');
  assert.equal(credentialKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(credentialKey('localhost:5000'), 'localhost:5000');
});

test('platforms parse like Docker and pick the matching index entry', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(parsePlatform('arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.deepEqual(parsePlatform('x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.equal(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v6' }), 'linux/arm/v6');
  const entries = [
    {
      mediaType: 'm',
      digest: 'sha256:a',
      size: 1,
      platform: { os: 'linux', architecture: 'arm', variant: 'v6' },
    },
    {
      mediaType: 'm',
      digest: 'sha256:b',
      size: 1,
      platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
    },
    { mediaType: 'm', digest: 'sha256:c', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: 'm', digest: 'sha256:d', size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
  ];
  assert.equal(pickManifest(entries, { os: 'linux', architecture: 'amd64' })?.digest, 'sha256:c');
  assert.equal(
    pickManifest(entries, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest,
    'sha256:b',
  );
  assert.equal(pickManifest(entries, { os: 'linux', architecture: 's390x' }), undefined);
  assert.equal(pickManifest(entries, { os: 'unknown', architecture: 'unknown' }), undefined);
});

test('search terms and arguments', () => {
  assert.deepEqual(splitSearchTerm('busybox'), { domain: 'docker.io', query: 'busybox' });
  assert.deepEqual(splitSearchTerm('library/busybox'), { domain: 'docker.io', query: 'library/busybox' });
  assert.deepEqual(splitSearchTerm('localhost:5000/busy'), { domain: 'localhost:5000', query: 'busy' });
  assert.throws(() => checkSearchArgs(0, new Map()), /limit 0 is outside the range of \[1, 100\]/);
  assert.throws(() => checkSearchArgs(10, new Map([['foo', ['1']]])), /invalid filter 'foo'/);
  assert.throws(() => checkSearchArgs(10, new Map([['stars', ['x']]])), /invalid filter 'stars=x'/);
  checkSearchArgs(100, new Map([['is-official', ['true']]]));
});
