// The config hash: stable under key order, blind to build/scale/replicas,
// changed by anything that reaches the container.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, serviceHash } from '../../src/compose/hash.js';
import type { Service } from '../../src/compose/model.js';

function svc(over: Partial<Service> = {}): Service {
  return {
    name: 'web',
    image: 'busybox:latest',
    environment: { A: '1' },
    labels: {},
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    networks: {},
    depends_on: {},
    profiles: [],
    secrets: [],
    configs: [],
    extra_hosts: [],
    dns: [],
    ulimits: {},
    cap_add: [],
    cap_drop: [],
    ...over,
  };
}

describe('compose config hash', () => {
  it('canonical JSON sorts keys at every level and drops undefined', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined }], c: null } }),
      '{"a":{"c":null,"d":[2,{"z":1}]},"b":1}',
    );
  });

  it('is a sha256 hex digest, equal for equal configs whatever the key order', () => {
    const h = serviceHash(svc());
    assert.match(h, /^[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(svc()).reverse()) as Service;
    assert.equal(serviceHash(reordered), h);
  });

  it('ignores build, pull_policy, scale and deploy.replicas', () => {
    const h = serviceHash(svc({ deploy: { replicas: 1 } }));
    assert.equal(serviceHash(svc({ deploy: { replicas: 5 } })), h);
    assert.equal(
      serviceHash(
        svc({
          deploy: { replicas: 5 },
          scale: 3,
          pull_policy: 'always',
          build: { context: '/x', args: {}, labels: {} },
        }),
      ),
      h,
    );
  });

  it('changes with the environment, command, image or ports', () => {
    const h = serviceHash(svc());
    assert.notEqual(serviceHash(svc({ environment: { A: '2' } })), h);
    assert.notEqual(serviceHash(svc({ command: ['true'] })), h);
    assert.notEqual(serviceHash(svc({ image: 'busybox:1' })), h);
    assert.notEqual(serviceHash(svc({ ports: [{ target: 80, protocol: 'tcp', mode: 'ingress' }] })), h);
  });
});
