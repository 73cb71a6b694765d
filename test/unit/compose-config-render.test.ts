import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectToJson, projectToYaml, renderProject } from '../../src/compose/commands/config-render.js';
import type { Project, Service } from '../../src/compose/model.js';

function service(name: string, extra: Partial<Service>): Service {
  return {
    name,
    environment: {},
    labels: {},
    ports: [],
    expose: [],
    volumes: [],
    tmpfs: [],
    networks: { default: null },
    depends_on: {},
    profiles: [],
    secrets: [],
    configs: [],
    extra_hosts: [],
    dns: [],
    ulimits: {},
    cap_add: [],
    cap_drop: [],
    ...extra,
  };
}

const project: Project = {
  name: 'demo',
  working_dir: '/p',
  config_files: ['/p/compose.yaml'],
  environment: {},
  services: {
    web: service('web', {
      image: 'busybox',
      restart: 'always',
      environment: { Z: 'last', A: '1', PRICE: 'costs $5', EMPTY: '', UNSET: null },
      command: ['echo', 'hi'],
      cap_add: ['NET_ADMIN'],
      profiles: ['web'],
      depends_on: { db: { condition: 'service_healthy', required: true, restart: true } },
      'x-custom': 'kept',
    }),
    db: service('db', { image: 'busybox', networks: { back: { aliases: ['database'] } } }),
  },
  networks: {
    default: { name: 'demo_default', labels: {} },
    back: { name: 'demo_back', labels: {}, driver: 'bridge' },
  },
  volumes: {},
  secrets: {},
  configs: {},
  disabled_services: {},
};

test('services sorted, keys in compose-go order, empty values left out, x- keys last', () => {
  const r = renderProject(project) as {
    services: Record<string, Record<string, unknown>>;
    networks: Record<string, unknown>;
  };
  assert.deepEqual(Object.keys(r), ['name', 'services', 'networks']);
  assert.deepEqual(Object.keys(r.services), ['db', 'web']);
  assert.deepEqual(Object.keys(r.services.web!), [
    'profiles',
    'cap_add',
    'command',
    'depends_on',
    'environment',
    'image',
    'networks',
    'restart',
    'x-custom',
  ]);
  assert.deepEqual(Object.keys(r.services.web!.environment as object), ['A', 'EMPTY', 'PRICE', 'UNSET', 'Z']);
  assert.deepEqual(r.services.web!.depends_on, {
    db: { condition: 'service_healthy', restart: true, required: true },
  });
  assert.deepEqual(Object.keys(r.networks), ['back', 'default']);
  assert.deepEqual(r.networks.back, { name: 'demo_back', driver: 'bridge' });
});

test('YAML: go-yaml quoting, $ doubled, nulls printed', () => {
  const y = projectToYaml(project);
  assert.match(y, /^name: demo\nservices:\n {2}db:\n/);
  assert.match(y, /\n {6}A: "1"\n {6}EMPTY: ""\n {6}PRICE: costs \$\$5\n {6}UNSET: null\n {6}Z: last\n/);
  assert.match(y, /\n {4}networks:\n {6}default: null\n/);
  assert.match(y, /\n {4}command:\n {6}- echo\n {6}- hi\n/);
  assert.doesNotMatch(projectToYaml(project, { escapeDollars: false }), /\$\$/);
});

test('JSON: command and entrypoint are null when unset', () => {
  const j = JSON.parse(projectToJson(project));
  assert.equal(j.services.db.command, null);
  assert.equal(j.services.db.entrypoint, null);
  assert.deepEqual(j.services.web.command, ['echo', 'hi']);
  assert.equal(j.services.web.environment.PRICE, 'costs $$5');
});
