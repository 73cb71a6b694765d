// The contract checker must reject what the swagger forbids, or the
// contract tests built on it prove nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSchema, responseSchema, schemaErrors } from '../support/schema.js';

const port = { PrivatePort: 80, PublicPort: 8080, Type: 'tcp', IP: '0.0.0.0' };

test('a body that follows the definition passes', () => {
  assert.deepEqual(schemaErrors(port, '#/definitions/Port'), []);
  assertMatchesSchema(port, '#/definitions/Port');
});

test('missing required fields are reported by name', () => {
  const errors = schemaErrors({ PublicPort: 1 }, '#/definitions/Port');
  assert.ok(errors.includes('$: missing required property PrivatePort'), errors.join('\n'));
  assert.ok(errors.includes('$: missing required property Type'), errors.join('\n'));
});

test('wrong types, enums, and undeclared properties are reported with their path', () => {
  const errors = schemaErrors(
    { ...port, PrivatePort: '80', Type: 'icmp', Colour: 'red' },
    '#/definitions/Port',
  );
  assert.ok(
    errors.some((e) => e.startsWith('$.PrivatePort: expected integer, got string')),
    errors.join('\n'),
  );
  assert.ok(
    errors.some((e) => e.startsWith('$.Type: "icmp" is not one of')),
    errors.join('\n'),
  );
  assert.ok(errors.includes('$.Colour: not declared by the swagger'), errors.join('\n'));
  assert.deepEqual(
    schemaErrors({ ...port, Colour: 'red' }, '#/definitions/Port', { allowExtra: ['Colour'] }),
    [],
  );
});

test('null is accepted for objects, arrays and optional scalars (Go nil), not for required scalars', () => {
  assert.deepEqual(
    schemaErrors({ Labels: null }, { type: 'object', properties: { Labels: { type: 'object' } } }),
    [],
  );
  const optional = { type: 'object', properties: { n: { type: 'integer' } } };
  assert.deepEqual(schemaErrors({ n: null }, optional), []);
  assert.deepEqual(schemaErrors({ n: null }, optional, { strictNull: true }), [
    '$.n: is null, expected integer',
  ]);
  assert.deepEqual(schemaErrors({ n: null }, { ...optional, required: ['n'] }), [
    '$.n: is null, expected integer',
  ]);
  assert.deepEqual(schemaErrors({ PrivatePort: null, Type: 'tcp' }, '#/definitions/Port'), [
    '$.PrivatePort: is null, expected integer',
  ]);
});

test('nested refs, arrays and allOf are followed', () => {
  const schema = responseSchema('get', '/info');
  const errors = schemaErrors({ Plugins: { Volume: [1] }, Swarm: { LocalNodeState: 'sideways' } }, schema);
  assert.ok(errors.includes('$.Plugins.Volume[0]: expected string, got integer (1)'), errors.join('\n'));
  assert.ok(
    errors.some((e) => e.startsWith('$.Swarm.LocalNodeState: "sideways" is not one of')),
    errors.join('\n'),
  );
  // ContainerInspectResponse's HostConfig is allOf [Resources, {...}]: fields of both parts are known.
  const hc = schemaErrors(
    { HostConfig: { Memory: 1, NetworkMode: 'bridge', Bogus: 1 } },
    '#/definitions/ContainerInspectResponse',
  );
  assert.deepEqual(hc, ['$.HostConfig.Bogus: not declared by the swagger']);
});

test('assertMatchesSchema throws an AssertionError listing the problems', () => {
  assert.throws(
    () => assertMatchesSchema({ Type: 'tcp' }, '#/definitions/Port'),
    /missing required property PrivatePort/,
  );
});
