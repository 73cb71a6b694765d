// `berth compose config` through the built CLI (dist/berth.mjs) on the
// lecture's example stacks and on temp projects: the printed model, the list
// flags, and the errors (message on stderr, exit code 1). No engine needed:
// config only loads files.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { BERTH } from '../support/daemon.js';

const FIXTURES = path.resolve(path.dirname(BERTH), '..', 'test', 'fixtures', 'compose');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-compose-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `berth compose <args>` in `cwd` with a clean environment (no COMPOSE_* from the caller). */
function compose(
  cwd: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string } = {},
): Run {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...opts.env,
  };
  const r = spawnSync(process.execPath, [BERTH, 'compose', ...args], {
    cwd,
    env,
    input: opts.input,
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), content);
  }
  return dir;
}

describe('compose config: the lecture stacks', () => {
  it('lecture-basic prints the normalised model like docker compose config', () => {
    const dir = path.join(FIXTURES, 'lecture-basic');
    const r = compose(dir, ['config']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      `name: lecture-basic
services:
  db:
    command:
      - sh
      - -c
      - trap "exit 0" TERM; echo "db ready, root password $$MYSQL_ROOT_PASSWORD"; while true; do sleep 1; done
    environment:
      APP_GREETING: hello from .env
      MYSQL_DATABASE: lecture
      MYSQL_ROOT_PASSWORD: "1234"
    image: busybox:latest
    networks:
      my_network: null
    volumes:
      - type: volume
        source: db_data
        target: /var/lib/mysql
        volume: {}
  web:
    command:
      - httpd
      - -f
      - -p
      - "80"
      - -h
      - /www
    container_name: my_app
    depends_on:
      db:
        condition: service_started
        required: true
    image: busybox:latest
    networks:
      my_network: null
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
    volumes:
      - type: bind
        source: ${dir}/html
        target: /www
        read_only: true
        bind:
          create_host_path: true
networks:
  my_network:
    name: lecture-basic_my_network
volumes:
  db_data:
    name: lecture-basic_db_data
`,
    );
  });

  it('the printed model loads again to the same output (round trip through -f -)', () => {
    const dir = path.join(FIXTURES, 'lecture-basic');
    const first = compose(dir, ['config']).stdout;
    const again = compose(dir, ['-f', '-', '--project-directory', dir, 'config'], { input: first });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, first);
  });

  it('lecture-build: build context made absolute, dockerfile kept relative, image named by --images', () => {
    const dir = path.join(FIXTURES, 'lecture-build');
    const r = compose(dir, ['config', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const model = JSON.parse(r.stdout);
    assert.deepEqual(model.services.app.build, { context: path.join(dir, 'app'), dockerfile: 'Dockerfile' });
    assert.deepEqual(model.services.app.command, ['sh', 'app.sh']);
    assert.equal(model.services.app.entrypoint, null);
    assert.deepEqual(model.services.app.environment, { GREETING: 'hello' });
    assert.equal(compose(dir, ['config', '--images']).stdout, 'lecture-build-app\n');
    assert.deepEqual(
      JSON.parse(compose(dir, ['config', '--format', 'json'], { env: { GREETING: 'hi' } }).stdout).services
        .app.environment,
      {
        GREETING: 'hi',
      },
    );
  });

  it('lecture-external-network: both projects name the same external network', () => {
    for (const sub of ['project-a', 'project-b']) {
      const r = compose(path.join(FIXTURES, 'lecture-external-network', sub), ['config', '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).networks, { shared: { name: 'lecture_shared', external: true } });
    }
  });
});

describe('compose config: flags', () => {
  const dir = project('flags', {
    'compose.yaml': `services:
  web:
    image: busybox:\${TAG:-1.36}
    volumes: [data:/data]
  worker:
    build: ./worker
  debug:
    image: busybox
    profiles: [debug, tools]
volumes:
  data: {}
  other: {}
`,
  });

  it('--services, --volumes, --images, --profiles print one name per line', () => {
    assert.equal(compose(dir, ['config', '--services']).stdout, 'web\nworker\n');
    assert.equal(compose(dir, ['--profile', 'debug', 'config', '--services']).stdout, 'debug\nweb\nworker\n');
    assert.equal(
      compose(dir, ['config', '--services'], { env: { COMPOSE_PROFILES: 'tools' } }).stdout,
      'debug\nweb\nworker\n',
    );
    assert.equal(compose(dir, ['config', '--volumes']).stdout, 'data\n');
    assert.equal(compose(dir, ['config', '--images']).stdout, 'busybox:1.36\nflags-worker\n');
    assert.equal(compose(dir, ['config', '--profiles']).stdout, 'debug\ntools\n');
  });

  it('-q validates only; -o writes the file; --no-interpolate keeps ${...}', () => {
    const q = compose(dir, ['config', '-q']);
    assert.equal(q.code, 0);
    assert.equal(q.stdout, '');
    const out = path.join(tmp, 'flags-out.yaml');
    assert.equal(compose(dir, ['config', '-o', out]).stdout, '');
    assert.equal(parse(readFileSync(out, 'utf8')).services.web.image, 'busybox:1.36');
    const raw = compose(dir, ['config', '--no-interpolate']);
    assert.equal(parse(raw.stdout).services.web.image, 'busybox:${TAG:-1.36}');
  });

  it('-p and COMPOSE_PROJECT_NAME name the project and its resources', () => {
    const model = JSON.parse(compose(dir, ['-p', 'demo', 'config', '--format', 'json']).stdout);
    assert.equal(model.name, 'demo');
    assert.equal(model.volumes.data.name, 'demo_data');
    assert.equal(
      JSON.parse(
        compose(dir, ['config', '--format', 'json'], { env: { COMPOSE_PROJECT_NAME: 'envname' } }).stdout,
      ).name,
      'envname',
    );
  });

  it('services named on the command line are enabled and printed with their dependencies', () => {
    const r = compose(dir, ['config', '--format', 'json', 'debug']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(Object.keys(JSON.parse(r.stdout).services), ['debug']);
    const deps = project('deps', {
      'compose.yaml':
        'services:\n  web:\n    image: busybox\n    depends_on: [db]\n    volumes: [w:/w]\n  db:\n    image: busybox\n  other:\n    image: busybox\n    volumes: [o:/o]\nvolumes:\n  w: {}\n  o: {}\n',
    });
    const model = JSON.parse(compose(deps, ['config', '--format', 'json', 'web']).stdout);
    assert.deepEqual(Object.keys(model.services), ['db', 'web']);
    assert.deepEqual(Object.keys(model.volumes), ['w']);
  });

  it('--hash prints each service with its config hash; a changed service changes only its hash', () => {
    const deps = path.join(tmp, 'deps');
    const before = compose(deps, ['config', '--hash', '*']).stdout.trim().split('\n');
    assert.deepEqual(
      before.map((l) => l.split(' ')[0]),
      ['db', 'other', 'web'],
    );
    for (const l of before) assert.match(l, /^[a-z]+ [0-9a-f]{64}$/);
    writeFileSync(
      path.join(deps, 'compose.override.yaml'),
      'services:\n  web:\n    environment: [CHANGED=1]\n',
    );
    const after = compose(deps, ['config', '--hash', 'db,web']).stdout.trim().split('\n');
    assert.equal(after[0], before[0]);
    assert.notEqual(after[1], before[2]);
  });

  it('--variables lists the variables with required, default and alternate values', () => {
    const vars = project('vars', {
      'compose.yaml':
        'services:\n  a:\n    image: busybox:${TAG:-1.36}\n    environment:\n      - X=${X:?need x}\n      - Y=${Y:+alt}$Z\n',
    });
    const r = compose(vars, ['config', '--variables']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'NAME                REQUIRED            DEFAULT VALUE       ALTERNATE VALUE',
        'TAG                 false               1.36                ',
        'X                   true                                    ',
        'Y                   false                                   alt',
        'Z                   false                                   ',
        '',
      ].join('\n'),
    );
  });
});

describe('compose config: faults', () => {
  it('an unknown key: Compose wording, file, line and column, exit 1', () => {
    const dir = project('unknown-key', {
      'compose.yaml': 'services:\n  web:\n    image: busybox\n    imagee: typo\n',
    });
    const r = compose(dir, ['config']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const file = path.join(dir, 'compose.yaml');
    assert.equal(
      r.stderr,
      `validating ${file}: services.web Additional property imagee is not allowed\n  at ${file}:4:5\n`,
    );
  });

  it('invalid YAML: line and column', () => {
    const dir = project('bad-yaml', { 'compose.yaml': 'services:\n  web:\n    image: [busybox\n' });
    const r = compose(dir, ['config']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`^failed to parse ${path.join(dir, 'compose.yaml')}: yaml: line \\d+, column \\d+: `),
    );
  });

  it('a required variable: the key and the message; a missing one: Compose warning', () => {
    const dir = project('required', {
      'compose.yaml': 'services:\n  web:\n    image: ${IMAGE:?set IMAGE}\n    command: echo $UNSET_ONE\n',
    });
    const r = compose(dir, ['config']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'error while interpolating services.web.image: required variable IMAGE is missing a value: set IMAGE\n',
    );
    const ok = compose(dir, ['config'], { env: { IMAGE: 'busybox' } });
    assert.equal(ok.code, 0);
    assert.equal(
      ok.stderr,
      'WARN[0000] The "UNSET_ONE" variable is not set. Defaulting to a blank string.\n',
    );
    assert.deepEqual(parse(ok.stdout).services.web.command, ['echo']);
  });

  it('missing env_file, dependency cycle, invalid -p, no compose file', () => {
    const envDir = project('missing-env', {
      'compose.yaml': 'services:\n  web:\n    image: busybox\n    env_file: web.env\n',
    });
    const missing = path.join(envDir, 'web.env');
    let r = compose(envDir, ['config']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `env file ${missing} not found: stat ${missing}: no such file or directory\n`);

    const cyc = project('cycle', {
      'compose.yaml':
        'services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n',
    });
    r = compose(cyc, ['config']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'dependency cycle detected: a -> b -> a\n');

    r = compose(cyc, ['-p', 'Not Valid', 'config']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^invalid project name "Not Valid": must consist only of lowercase alphanumeric characters/,
    );

    const empty = project('empty', { 'readme.txt': 'no compose file here\n' });
    r = compose(empty, ['config']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'no configuration file provided: not found\n');
  });
});
