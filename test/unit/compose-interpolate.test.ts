import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  interpolateString,
  interpolateTree,
  InvalidTemplateError,
  MissingRequiredError,
} from '../../src/compose/interpolate.js';
import { ComposeError } from '../../src/compose/model.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', PORT: '8080', B: 'bee' };
const lookup = (k: string) => env[k];

test('interpolation table (Compose Specification)', () => {
  const cases: [string, string][] = [
    ['$SET', 'value'],
    ['${SET}', 'value'],
    ['pre-${SET}-post', 'pre-value-post'],
    ['$SET/x', 'value/x'],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${UNSET-def}', 'def'],
    ['${SET:-def}', 'value'],
    ['${SET:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${B:-c}}', 'bee'],
    ['${UNSET:-${ALSO_UNSET:-c}}', 'c'],
    ['${UNSET:-a ${SET} b}', 'a value b'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['cost: 5$', 'cost: 5$'],
    ['${UNSET:-}', ''],
    ['${SET?boom}', 'value'],
    ['${EMPTY?boom}', ''],
    ['${UNSET:-x:y}', 'x:y'],
    ['${UNSET:-{}}', '{}'],
    ['a $ b', 'a $ b'],
    ['$-x', '$-x'],
  ];
  for (const [input, want] of cases) assert.equal(interpolateString(input, lookup), want, input);
});

test('missing variables are reported once per reference and become empty', () => {
  const missing: string[] = [];
  assert.equal(
    interpolateString('a${NOPE}b$NOPE2', lookup, (n) => missing.push(n)),
    'ab',
  );
  assert.deepEqual(missing, ['NOPE', 'NOPE2']);
  // Defaults never count as missing.
  missing.length = 0;
  interpolateString('${NOPE:-x}${NOPE-y}${NOPE:+z}', lookup, (n) => missing.push(n));
  assert.deepEqual(missing, []);
});

test('required variables: ":?" fails on unset or empty, "?" only on unset', () => {
  assert.throws(
    () => interpolateString('${UNSET:?must be set}', lookup),
    (e: unknown) => {
      assert.ok(e instanceof MissingRequiredError);
      assert.equal(e.message, 'required variable UNSET is missing a value: must be set');
      return true;
    },
  );
  assert.throws(() => interpolateString('${EMPTY:?}', lookup), /required variable EMPTY is missing a value$/);
  assert.throws(
    () => interpolateString('${UNSET?why}', lookup),
    /required variable UNSET is missing a value: why/,
  );
});

test('bad templates are refused', () => {
  for (const bad of ['${', '${SET', '${1abc}', '${SET:x}', '${}', 'x${ SET}']) {
    assert.throws(() => interpolateString(bad, lookup), InvalidTemplateError, bad);
  }
});

test('tree interpolation: values only, Compose paths in errors, numbers cast where the schema wants them', () => {
  const tree = {
    services: {
      web: {
        image: 'busybox:${TAG:-1}',
        ports: [{ target: '${PORT}' }],
        environment: { $SET: '$SET' },
        deploy: { replicas: '${N:-2}' },
        privileged: '${P:-true}',
      },
    },
  };
  const out = interpolateTree(tree, lookup, () => {}) as { services: { web: Record<string, unknown> } };
  assert.equal(out.services.web.image, 'busybox:1');
  assert.deepEqual(out.services.web.ports, [{ target: 8080 }]);
  assert.deepEqual(out.services.web.environment, { $SET: 'value' });
  assert.deepEqual(out.services.web.deploy, { replicas: 2 });
  assert.equal(out.services.web.privileged, true);

  assert.throws(
    () => interpolateTree({ services: { web: { environment: ['A=${X:?is required}'] } } }, lookup, () => {}),
    (e: unknown) =>
      e instanceof ComposeError &&
      e.message ===
        'error while interpolating services.web.environment.[]: required variable X is missing a value: is required',
  );
  assert.throws(
    () => interpolateTree({ services: { web: { image: 'a${' } } }, lookup, () => {}),
    (e: unknown) =>
      e instanceof ComposeError &&
      e.message ===
        'invalid interpolation format for services.web.image.\nYou may need to escape any $ with another $.\na${',
  );
});
