// Reference normalisation as Docker's distribution/reference does it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiar,
  normalize,
  parseReference,
  repoTagReference,
  formatReference,
} from '../../src/image/reference.js';

describe('image references', () => {
  test('familiar names get docker.io, library/ and :latest', () => {
    assert.equal(normalize('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normalize('busybox:1.36'), 'docker.io/library/busybox:1.36');
    assert.equal(normalize('foo/bar'), 'docker.io/foo/bar:latest');
    assert.equal(normalize('index.docker.io/library/nginx'), 'docker.io/library/nginx:latest');
    assert.equal(normalize('docker.io/nginx'), 'docker.io/library/nginx:latest');
  });

  test('registries with ports and localhost keep their domain', () => {
    assert.equal(normalize('localhost:5000/a/b:tag'), 'localhost:5000/a/b:tag');
    assert.equal(normalize('localhost/a'), 'localhost/a:latest');
    assert.equal(normalize('ghcr.io/org/app'), 'ghcr.io/org/app:latest');
    const r = parseReference('localhost:5000/a/b:tag');
    assert.deepEqual(r, { domain: 'localhost:5000', path: 'a/b', tag: 'tag' });
  });

  test('digests are kept and no default tag is added', () => {
    const d = 'sha256:' + 'a'.repeat(64);
    assert.equal(normalize(`nginx@${d}`), `docker.io/library/nginx@${d}`);
    assert.equal(normalize(`nginx:1.25@${d}`), `docker.io/library/nginx:1.25@${d}`);
  });

  test('familiar form strips the defaults again', () => {
    assert.equal(familiar('docker.io/library/busybox:latest'), 'busybox:latest');
    assert.equal(familiar('docker.io/foo/bar:1'), 'foo/bar:1');
    assert.equal(familiar('localhost:5000/a/b:t'), 'localhost:5000/a/b:t');
  });

  test("invalid references fail with Docker's messages", () => {
    assert.throws(() => parseReference('Busybox'), {
      message: 'invalid reference format: repository name (library/Busybox) must be lowercase',
    });
    assert.throws(() => parseReference('a/B'), {
      message: 'invalid reference format: repository name (a/B) must be lowercase',
    });
    assert.throws(() => parseReference('busybox:'), { message: 'invalid reference format' });
    assert.throws(() => parseReference('bad name'), { message: 'invalid reference format' });
    assert.throws(() => parseReference('-x'), { message: 'invalid reference format' });
    assert.throws(() => parseReference('nginx@sha256:abc'), { message: 'invalid reference format' });
    const hex = 'f'.repeat(64);
    assert.throws(() => parseReference(hex), {
      message: `invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`,
    });
    assert.throws(() => parseReference('a'.repeat(256)), { message: /must not be more than 255 characters/ });
  });

  test('repo + tag arguments (tag, import)', () => {
    assert.equal(formatReference(repoTagReference('foo', 'v1')!), 'docker.io/library/foo:v1');
    assert.equal(formatReference(repoTagReference('foo:v2', undefined)!), 'docker.io/library/foo:v2');
    assert.equal(formatReference(repoTagReference('foo', undefined)!), 'docker.io/library/foo:latest');
    assert.equal(repoTagReference('', 'x'), null);
    assert.throws(() => repoTagReference('foo', 'bad tag'), { message: 'invalid reference format' });
  });
});
