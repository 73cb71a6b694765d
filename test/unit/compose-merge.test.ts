import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeFiles } from '../../src/compose/merge.js';
import { parseComposeYaml } from '../../src/compose/load-yaml.js';

function merge(a: string, b: string): Record<string, any> {
  return mergeFiles(parseComposeYaml(a, '/a.yaml').data, parseComposeYaml(b, '/b.yaml').data) as Record<
    string,
    any
  >;
}

test('mappings merge, scalars are replaced', () => {
  const m = merge(
    'services:\n  web:\n    image: a\n    restart: always\n',
    'services:\n  web:\n    image: b\n  db:\n    image: c\n',
  );
  assert.deepEqual(m.services, { web: { image: 'b', restart: 'always' }, db: { image: 'c' } });
});

test('command and entrypoint are replaced, not appended', () => {
  const m = merge(
    'services:\n  web:\n    command: [a, b]\n    entrypoint: [x]\n',
    'services:\n  web:\n    command: [c]\n    entrypoint: y z\n',
  );
  assert.deepEqual(m.services.web.command, ['c']);
  assert.equal(m.services.web.entrypoint, 'y z');
});

test('ports and expose append unique; volumes merge by target; secrets by target', () => {
  const m = merge(
    'services:\n  web:\n    ports: ["8080:80", "443:443"]\n    expose: ["3000"]\n    volumes: ["./a:/data", "logs:/logs"]\n    secrets: [s1]\n',
    'services:\n  web:\n    ports: ["8080:80", "9090:90"]\n    expose: ["3000", "4000"]\n    volumes: ["./b:/data:ro"]\n    secrets: [{source: s2, target: s1}]\n',
  );
  assert.deepEqual(m.services.web.ports, ['8080:80', '443:443', '9090:90']);
  assert.deepEqual(m.services.web.expose, ['3000', '4000']);
  assert.deepEqual(m.services.web.volumes, ['./b:/data:ro', 'logs:/logs']);
  assert.deepEqual(m.services.web.secrets, [{ source: 's2', target: 's1' }]);
});

test('environment and labels merge by key whether written as lists or maps', () => {
  const m = merge(
    'services:\n  web:\n    environment: [A=1, B=2]\n    labels: {x: "1"}\n',
    'services:\n  web:\n    environment:\n      B: 3\n      C: 4\n    labels: [y=2]\n',
  );
  assert.deepEqual(m.services.web.environment, { A: '1', B: '3', C: '4' });
  assert.deepEqual(m.services.web.labels, { x: '1', y: '2' });
});

test('depends_on and networks: list and map forms merge as maps', () => {
  const m = merge(
    'services:\n  web:\n    depends_on: [db]\n    networks: [front]\n',
    'services:\n  web:\n    depends_on:\n      cache:\n        condition: service_healthy\n    networks:\n      back:\n        aliases: [w]\n',
  );
  assert.deepEqual(m.services.web.depends_on, { db: null, cache: { condition: 'service_healthy' } });
  assert.deepEqual(m.services.web.networks, { front: null, back: { aliases: ['w'] } });
});

test('other sequences append (dns_opt keeps unique, cap_add unique)', () => {
  const m = merge(
    'services:\n  web:\n    cap_add: [NET_ADMIN]\n    devices: ["/dev/a:/dev/a"]\n',
    'services:\n  web:\n    cap_add: [NET_ADMIN, SYS_TIME]\n    devices: ["/dev/b:/dev/b"]\n',
  );
  assert.deepEqual(m.services.web.cap_add, ['NET_ADMIN', 'SYS_TIME']);
  assert.deepEqual(m.services.web.devices, ['/dev/a:/dev/a', '/dev/b:/dev/b']);
});

test('!reset drops a value, !override replaces it whole', () => {
  const m = merge(
    'services:\n  web:\n    image: a\n    ports: ["80:80"]\n    environment: {A: "1", B: "2"}\n    command: [x]\n',
    'services:\n  web:\n    ports: !reset []\n    environment: !override\n      C: "3"\n    command: !reset null\n',
  );
  assert.deepEqual(m.services.web, { image: 'a', environment: { C: '3' } });
});

test('build: a string context merges with a mapping', () => {
  const m = merge(
    'services:\n  web:\n    build: ./app\n',
    'services:\n  web:\n    build:\n      dockerfile: Other\n',
  );
  assert.deepEqual(m.services.web.build, { context: './app', dockerfile: 'Other' });
});

test('YAML anchors and merge keys work', () => {
  const parsed = parseComposeYaml(
    'x-common: &common\n  image: busybox\n  restart: always\nservices:\n  a:\n    <<: *common\n    restart: "no"\n',
    '/c.yaml',
  );
  assert.deepEqual((parsed.data.services as any).a, { image: 'busybox', restart: 'no' });
});

test('0400 is octal, as go-yaml reads it; 0o755 too; 400 stays decimal', () => {
  const parsed = parseComposeYaml('a: 0400\nb: 0o755\nc: 400\nd: "0400"\ne: 0\n', '/o.yaml');
  assert.deepEqual(parsed.data, { a: 256, b: 493, c: 400, d: '0400', e: 0 });
});
