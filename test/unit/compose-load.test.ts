import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadProject } from '../../src/compose/load.js';
import { ComposeError, type LoadOptions } from '../../src/compose/model.js';

const root = mkdtempSync(join(tmpdir(), 'compose-load-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A temp project directory holding `files` (relative paths → content). */
function project(files: Record<string, string>, name = `proj${++n}`): string {
  const dir = join(root, name);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function load(cwd: string, o: Partial<LoadOptions> = {}, warnings: string[] = []) {
  return loadProject(
    { files: [], envFiles: [], profiles: [], cwd, env: {}, ...o },
    { warn: (m) => warnings.push(m) },
  );
}

async function loadError(cwd: string, o: Partial<LoadOptions> = {}): Promise<string> {
  try {
    await load(cwd, o);
  } catch (e) {
    assert.ok(e instanceof ComposeError, String(e));
    return e.message;
  }
  assert.fail('expected the project to be refused');
}

test('discovery walks up from the cwd and picks the override file', async () => {
  const dir = project({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n',
    'compose.override.yaml': 'services:\n  web:\n    environment: [A=1]\n',
    'sub/deeper/.keep': '',
  });
  const p = await load(join(dir, 'sub', 'deeper'));
  assert.equal(p.working_dir, dir);
  assert.deepEqual(p.config_files, [join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')]);
  assert.deepEqual(p.services.web!.environment, { A: '1' });
});

test('compose.yaml wins over docker-compose.yml, with Compose warning', async () => {
  const dir = project({
    'compose.yaml': 'services:\n  a:\n    image: busybox\n',
    'docker-compose.yaml': 'services:\n  b:\n    image: busybox\n',
  });
  const warnings: string[] = [];
  const p = await load(dir, {}, warnings);
  assert.deepEqual(Object.keys(p.services), ['a']);
  assert.match(
    warnings[0]!,
    /^Found multiple config files with supported names: .*compose\.yaml, .*docker-compose\.yaml$/,
  );
  assert.equal(warnings[1], `Using ${join(dir, 'compose.yaml')}`);
});

test('no compose file anywhere: Compose message', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-none-'));
  try {
    assert.equal(await loadError(dir), 'no configuration file provided: not found');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('project name: -p, COMPOSE_PROJECT_NAME, name:, directory (normalised)', async () => {
  const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n' }, 'My.Project_Dir');
  assert.equal((await load(dir)).name, 'myproject_dir');
  assert.equal((await load(dir, { env: { COMPOSE_PROJECT_NAME: 'fromenv' } })).name, 'fromenv');
  assert.equal(
    (await load(dir, { projectName: 'flag', env: { COMPOSE_PROJECT_NAME: 'fromenv' } })).name,
    'flag',
  );
  const named = project({
    'compose.yaml': 'name: ${NAME:-fromfile}\nservices:\n  web:\n    image: busybox\n',
  });
  assert.equal((await load(named)).name, 'fromfile');
  assert.equal((await load(named, { projectName: 'x1' })).name, 'x1');
  assert.equal(
    await loadError(dir, { projectName: 'Bad Name' }),
    'invalid project name "Bad Name": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number',
  );
  assert.match(await loadError(dir, { projectName: '_x' }), /invalid project name "_x"/);
});

test('.env feeds interpolation; the process environment wins; --env-file replaces .env', async () => {
  const dir = project({
    'compose.yaml':
      'services:\n  web:\n    image: busybox:${TAG}\n    environment:\n      WHO: ${WHO:-nobody}\n      FROM_DOTENV: $ONLY_DOTENV\n',
    '.env': 'TAG=1.36\nWHO=dotenv\nONLY_DOTENV=yes\n',
    'other.env': 'TAG=other\n',
  });
  let p = await load(dir);
  assert.equal(p.services.web!.image, 'busybox:1.36');
  assert.equal(p.services.web!.environment.WHO, 'dotenv');
  p = await load(dir, { env: { WHO: 'shell' } });
  assert.equal(p.services.web!.environment.WHO, 'shell');
  assert.equal(p.services.web!.environment.FROM_DOTENV, 'yes');
  const warnings: string[] = [];
  p = await load(dir, { envFiles: ['other.env'] }, warnings);
  assert.equal(p.services.web!.image, 'busybox:other');
  assert.deepEqual(warnings, ['The "ONLY_DOTENV" variable is not set. Defaulting to a blank string.']);
});

test('${X:?msg} on an unset variable names the key and the variable', async () => {
  const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: ${IMAGE:?set IMAGE first}\n' });
  assert.equal(
    await loadError(dir),
    'error while interpolating services.web.image: required variable IMAGE is missing a value: set IMAGE first',
  );
});

test('env_file: string, list, long syntax with required: false, format raw; missing file named', async () => {
  const dir = project({
    'compose.yaml': [
      'services:',
      '  web:',
      '    image: busybox',
      '    env_file:',
      '      - common.env',
      '      - path: ./optional.env',
      '        required: false',
      '      - path: raw.env',
      '        format: raw',
      '    environment:',
      '      B: from-environment',
      '  broken:',
      '    image: busybox',
      '    profiles: [broken]',
      '    env_file: missing.env',
      '',
    ].join('\n'),
    'common.env': 'A=1\nB=2\nC=${TAG:-t}\n',
    'raw.env': 'R=raw "$TAG" # kept\n',
  });
  const p = await load(dir);
  assert.deepEqual(p.services.web!.environment, {
    A: '1',
    B: 'from-environment',
    C: 't',
    R: 'raw "$TAG" # kept',
  });
  const missing = join(dir, 'missing.env');
  assert.equal(
    await loadError(dir, { profiles: ['broken'] }),
    `env file ${missing} not found: stat ${missing}: no such file or directory`,
  );
});

test('environment: a bare key is resolved from the environment, else null', async () => {
  const dir = project({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    environment: [SHELLVAR, UNSETVAR, "X=1"]\n',
  });
  const p = await load(dir, { env: { SHELLVAR: 'here' } });
  assert.deepEqual(p.services.web!.environment, { SHELLVAR: 'here', UNSETVAR: null, X: '1' });
});

test('several -f files merge in order; paths relative to the project directory', async () => {
  const dir = project({
    'base.yaml':
      'services:\n  web:\n    image: busybox\n    ports: ["8080:80"]\n    volumes: ["./data:/data"]\n',
    'sub/over.yaml': 'services:\n  web:\n    ports: ["9090:90"]\n    volumes: ["./other:/data:ro"]\n',
  });
  const p = await load(dir, { files: ['base.yaml', 'sub/over.yaml'] });
  assert.deepEqual(
    p.services.web!.ports.map((x) => x.published),
    ['8080', '9090'],
  );
  assert.deepEqual(p.services.web!.volumes, [
    {
      type: 'bind',
      source: join(dir, 'other'),
      target: '/data',
      read_only: true,
      bind: { create_host_path: true },
    },
  ]);
  // COMPOSE_FILE with `:` separators does the same.
  const q = await load(dir, { env: { COMPOSE_FILE: 'base.yaml:sub/over.yaml' } });
  assert.equal(q.services.web!.ports.length, 2);
});

test('-f - reads stdin, relative to the cwd', async () => {
  const dir = project({ 'x/.keep': '' });
  const p = await loadProject(
    { files: ['-'], envFiles: [], profiles: [], cwd: dir, env: {} },
    { readStdin: () => 'services:\n  s:\n    image: busybox\n    volumes: [".:/src"]\n', warn: () => {} },
  );
  assert.equal(p.services.s!.volumes[0]!.source, dir);
});

test('extends: same file and another file, relative paths from the extended file, chains', async () => {
  const dir = project({
    'compose.yaml': [
      'services:',
      '  base:',
      '    image: busybox',
      '    environment: {TZ: utc, PORT: "80"}',
      '  cli:',
      '    extends: base',
      '    environment: {PORT: "8080"}',
      '  web:',
      '    extends:',
      '      file: common/common.yaml',
      '      service: webapp',
      '    ports: ["80:80"]',
      '',
    ].join('\n'),
    'common/common.yaml':
      'services:\n  root:\n    image: busybox:1\n    labels: [a=1]\n  webapp:\n    extends: root\n    build: ./app\n    volumes: ["./static:/static"]\n    ports: ["81:81"]\n',
  });
  const p = await load(dir);
  assert.deepEqual(p.services.cli!.environment, { TZ: 'utc', PORT: '8080' });
  const web = p.services.web!;
  assert.equal(web.image, 'busybox:1');
  assert.deepEqual(web.labels, { a: '1' });
  assert.equal(web.build!.context, join(dir, 'common', 'app'));
  assert.equal(web.volumes[0]!.source, join(dir, 'common', 'static'));
  assert.deepEqual(
    web.ports.map((x) => x.target),
    [81, 80],
  );
});

test('extends: unknown service and cycles are refused', async () => {
  const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: busybox\n    extends: nope\n' });
  assert.match(await loadError(dir), /cannot extend service "a" in .*: service "nope" not found/);
  const cyc = project({
    'compose.yaml':
      'services:\n  a:\n    image: busybox\n    extends: b\n  b:\n    image: busybox\n    extends: a\n',
  });
  const badBase = project({
    'compose.yaml': 'services:\n  a:\n    extends: {file: base.yaml, service: b}\n',
    'base.yaml': 'services:\n  b:\n    image: busybox\n    restrat: always\n',
  });
  assert.equal(
    await loadError(badBase),
    `validating ${join(badBase, 'base.yaml')}: services.b Additional property restrat is not allowed\n  at ${join(badBase, 'base.yaml')}:4:5`,
  );
  assert.match(await loadError(cyc), /circular reference with extends/);
});

test('include: short and long syntax, own .env and directory; conflicts refused', async () => {
  const dir = project({
    'compose.yaml':
      'include:\n  - lib/db.yaml\n  - path: other/cache.yaml\n    env_file: other/vars.env\nservices:\n  web:\n    image: busybox\n    depends_on: [db, cache]\n',
    'lib/db.yaml':
      'services:\n  db:\n    image: busybox:${DB_TAG}\n    volumes: ["./init:/init", "dbdata:/var/lib/db"]\nvolumes:\n  dbdata: {}\n',
    'lib/.env': 'DB_TAG=from-lib-env\n',
    'other/cache.yaml': 'services:\n  cache:\n    image: busybox:${CACHE_TAG}\n',
    'other/vars.env': 'CACHE_TAG=c1\n',
  });
  const p = await load(dir);
  assert.deepEqual(Object.keys(p.services).sort(), ['cache', 'db', 'web']);
  assert.equal(p.services.db!.image, 'busybox:from-lib-env');
  assert.equal(p.services.db!.volumes[0]!.source, join(dir, 'lib', 'init'));
  assert.equal(p.services.cache!.image, 'busybox:c1');
  assert.ok(p.volumes.dbdata);
  // The including project's environment wins over the included .env.
  assert.equal((await load(dir, { env: { DB_TAG: 'shell' } })).services.db!.image, 'busybox:shell');

  const conflict = project({
    'compose.yaml': 'include: [lib.yaml]\nservices:\n  db:\n    image: other\n',
    'lib.yaml': 'services:\n  db:\n    image: busybox\n',
  });
  assert.equal(await loadError(conflict), 'services.db conflicts with imported resource');
});

test('profiles: --profile, COMPOSE_PROFILES, "*", and services named explicitly', async () => {
  const dir = project({
    'compose.yaml': [
      'services:',
      '  web:',
      '    image: busybox',
      '  debug:',
      '    image: busybox',
      '    profiles: [debug]',
      '    depends_on: [tools]',
      '  tools:',
      '    image: busybox',
      '    profiles: [tools]',
      '',
    ].join('\n'),
  });
  assert.deepEqual(Object.keys((await load(dir)).services), ['web']);
  assert.deepEqual(Object.keys((await load(dir, { profiles: ['debug', 'tools'] })).services), [
    'web',
    'debug',
    'tools',
  ]);
  assert.deepEqual(Object.keys((await load(dir, { env: { COMPOSE_PROFILES: 'tools' } })).services), [
    'web',
    'tools',
  ]);
  assert.deepEqual(Object.keys((await load(dir, { profiles: ['*'] })).services), ['web', 'debug', 'tools']);
  // Naming a service enables it and what it depends on.
  const p = await load(dir, { services: ['debug'] });
  assert.deepEqual(Object.keys(p.services), ['web', 'debug', 'tools']);
  assert.deepEqual(Object.keys((await load(dir)).disabled_services).sort(), ['debug', 'tools']);
  // An enabled service depending on a disabled one is an invalid project.
  assert.equal(
    await loadError(dir, { profiles: ['debug'] }),
    'service "debug" depends on undefined service "tools": invalid compose project',
  );
});

test('invalid YAML names line and column', async () => {
  const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n     ports: [1\n' });
  const file = join(dir, 'compose.yaml');
  assert.equal(
    await loadError(dir),
    `failed to parse ${file}: yaml: line 3, column 12: Nested mappings are not allowed in compact mappings`,
  );
});

test('schema errors use Compose wording with file, key and line:column', async () => {
  const dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    imagee: typo\n' });
  const file = join(dir, 'compose.yaml');
  assert.equal(
    await loadError(dir),
    `validating ${file}: services.web Additional property imagee is not allowed\n  at ${file}:4:5`,
  );
  const typed = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    ports: "80:80"\n' });
  assert.match(await loadError(typed), /services\.web\.ports must be a list\n {2}at .*compose\.yaml:4:5$/);
  const enumBad = project({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    depends_on:\n      db:\n        condition: started\n  db:\n    image: busybox\n',
  });
  assert.match(
    await loadError(enumBad),
    /services\.web\.depends_on\.db\.condition must be one of the following: "service_started", "service_healthy", "service_completed_successfully"/,
  );
  const top = project({ 'compose.yaml': 'servics:\n  web:\n    image: busybox\n' });
  assert.match(await loadError(top), /: \(root\) Additional property servics is not allowed\n {2}at .*:1:1$/);
});

test('semantic checks: image or build, undefined resources, dependency cycles', async () => {
  let dir = project({ 'compose.yaml': 'services:\n  x:\n    restart: always\n' });
  assert.equal(
    await loadError(dir),
    'service "x" has neither an image nor a build context specified: invalid compose project',
  );
  dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    depends_on: [db]\n' });
  assert.equal(
    await loadError(dir),
    'service "web" depends on undefined service "db": invalid compose project',
  );
  dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    networks: [front]\n' });
  assert.equal(
    await loadError(dir),
    'service "web" refers to undefined network front: invalid compose project',
  );
  dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    volumes: ["data:/data"]\n' });
  assert.equal(
    await loadError(dir),
    'service "web" refers to undefined volume data: invalid compose project',
  );
  dir = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n    secrets: [token]\n' });
  assert.equal(
    await loadError(dir),
    'service "web" refers to undefined secret token: invalid compose project',
  );
  dir = project({
    'compose.yaml':
      'services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [c]\n  c:\n    image: busybox\n    depends_on: [a]\n',
  });
  assert.equal(await loadError(dir), 'dependency cycle detected: a -> b -> c -> a');
  // An optional dependency on a missing service is dropped.
  dir = project({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    depends_on:\n      db:\n        condition: service_started\n        required: false\n',
  });
  assert.deepEqual((await load(dir)).services.web!.depends_on, {});
});

test('normalisation: default network, prefixed names, external and name:, unused resources dropped', async () => {
  const dir = project({
    'compose.yaml': [
      'name: shop',
      'services:',
      '  web:',
      '    image: busybox',
      '    volumes: [data:/data, ext:/ext, /anon, opts:/opts]',
      '    secrets: [token]',
      '  worker:',
      '    image: busybox',
      '    networks: [back, shared]',
      'networks:',
      '  back: {}',
      '  shared:',
      '    external: true',
      '  unused: {}',
      'volumes:',
      '  data:',
      '  ext:',
      '    name: my-ext-volume',
      '  unusedvol: {}',
      '  opts:',
      '    driver_opts: {type: tmpfs, o: "size=1m", size: 64}',
      'secrets:',
      '  token:',
      '    file: ./token.txt',
      '',
    ].join('\n'),
  });
  const p = await load(dir);
  assert.deepEqual(p.services.web!.networks, { default: null });
  assert.deepEqual(Object.keys(p.networks).sort(), ['back', 'default', 'shared']);
  assert.equal(p.networks.default!.name, 'shop_default');
  assert.equal(p.networks.back!.name, 'shop_back');
  assert.equal(p.networks.shared!.name, 'shared');
  assert.equal(p.networks.shared!.external, true);
  assert.deepEqual(Object.keys(p.volumes).sort(), ['data', 'ext', 'opts']);
  assert.deepEqual(p.volumes.opts!.driver_opts, { type: 'tmpfs', o: 'size=1m', size: '64' });
  assert.equal(p.volumes.data!.name, 'shop_data');
  assert.equal(p.volumes.ext!.name, 'my-ext-volume');
  assert.deepEqual(p.services.web!.volumes[2], { type: 'volume', target: '/anon', volume: {} });
  assert.equal(p.secrets.token!.file, join(dir, 'token.txt'));
  assert.equal(p.secrets.token!.name, 'shop_token');
});

test('service normalisation: command split, healthcheck string, depends_on list, scale, extra_hosts, build', async () => {
  const dir = project({
    'compose.yaml': [
      'services:',
      '  web:',
      '    build: ./app',
      '    command: sh -c "echo \'hi there\' && sleep 1"',
      '    entrypoint: ["/bin/sh", "-c"]',
      '    healthcheck:',
      '      test: wget -q -O- localhost',
      '      interval: 1m30s',
      '      retries: 3',
      '    depends_on: [db]',
      '    scale: 2',
      '    extra_hosts: ["somehost=10.0.0.1", "other:10.0.0.2"]',
      '    ulimits:',
      '      nproc: 512',
      '      nofile: {soft: 1024, hard: 2048}',
      '    tmpfs: /run',
      '    dns: 1.1.1.1',
      '  db:',
      '    image: busybox',
      '    build:',
      '      context: db',
      '      dockerfile: Dockerfile.db',
      '      args: [A=1, B]',
      '',
    ].join('\n'),
  });
  const p = await load(dir);
  const web = p.services.web!;
  assert.deepEqual(web.command, ['sh', '-c', "echo 'hi there' && sleep 1"]);
  assert.deepEqual(web.entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(web.healthcheck, {
    test: ['CMD-SHELL', 'wget -q -O- localhost'],
    interval: '1m30s',
    retries: 3,
  });
  assert.deepEqual(web.depends_on, { db: { condition: 'service_started', required: true, restart: false } });
  assert.equal(web.scale, 2);
  assert.equal(web.deploy!.replicas, 2);
  assert.deepEqual(web.extra_hosts, ['somehost:10.0.0.1', 'other:10.0.0.2']);
  assert.deepEqual(web.ulimits, { nproc: 512, nofile: { soft: 1024, hard: 2048 } });
  assert.deepEqual(web.tmpfs, ['/run']);
  assert.deepEqual(web.dns, ['1.1.1.1']);
  assert.deepEqual(web.build, { context: join(dir, 'app'), dockerfile: 'Dockerfile', args: {}, labels: {} });
  const db = p.services.db!;
  assert.deepEqual(db.build, {
    context: join(dir, 'db'),
    dockerfile: 'Dockerfile.db',
    args: { A: '1', B: null },
    labels: {},
  });
});

test('links, volumes_from and network_mode service:x become dependencies', async () => {
  const dir = project({
    'compose.yaml': [
      'services:',
      '  db:',
      '    image: busybox',
      '  data:',
      '    image: busybox',
      '  web:',
      '    image: busybox',
      '    links: ["db:database"]',
      '    volumes_from: [data, "container:other"]',
      '  sidecar:',
      '    image: busybox',
      '    network_mode: service:web',
      '',
    ].join('\n'),
  });
  const p = await load(dir);
  assert.deepEqual(p.services.web!.depends_on, {
    db: { condition: 'service_started', required: true, restart: true },
    data: { condition: 'service_started', required: true, restart: false },
  });
  assert.deepEqual(p.services.sidecar!.depends_on, {
    web: { condition: 'service_started', required: true, restart: true },
  });
  assert.deepEqual(p.services.sidecar!.networks, {});
});

test('the obsolete `version` attribute: Compose warning, then ignored', async () => {
  const dir = project({ 'docker-compose.yml': "version: '3.8'\nservices:\n  web:\n    image: busybox\n" });
  const warnings: string[] = [];
  const p = await load(dir, {}, warnings);
  assert.deepEqual(warnings, [
    `${join(dir, 'docker-compose.yml')}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`,
  ]);
  assert.equal((p as unknown as Record<string, unknown>).version, undefined);
});

test('env_files: the --env-file list, else the project .env when present', async () => {
  const dir = project({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n',
    '.env': 'A=1\n',
    'b.env': 'B=2\n',
  });
  assert.deepEqual((await load(dir)).env_files, [join(dir, '.env')]);
  assert.deepEqual((await load(dir, { envFiles: ['b.env'] })).env_files, [join(dir, 'b.env')]);
  const viaEnv = await load(dir, { env: { COMPOSE_ENV_FILES: 'b.env,.env' } });
  assert.deepEqual(viaEnv.env_files, [join(dir, 'b.env'), join(dir, '.env')]);
  assert.equal(viaEnv.environment.B, '2');
  const bare = project({ 'compose.yaml': 'services:\n  web:\n    image: busybox\n' });
  assert.deepEqual((await load(bare)).env_files, []);
});

test('include: a list of paths is merged, includes nest, cycles are refused', async () => {
  const dir = project({
    'compose.yaml':
      'include:\n  - path: [lib/a.yaml, lib/a-override.yaml]\nservices:\n  web:\n    image: busybox\n    depends_on: [a, nested]\n',
    'lib/a.yaml': 'include: [deeper/n.yaml]\nservices:\n  a:\n    image: busybox\n    environment: [X=1]\n',
    'lib/a-override.yaml': 'services:\n  a:\n    environment: [Y=2]\n',
    'lib/deeper/n.yaml': 'services:\n  nested:\n    image: busybox\n    volumes: ["./here:/here"]\n',
  });
  const p = await load(dir);
  assert.deepEqual(p.services.a!.environment, { X: '1', Y: '2' });
  assert.equal(p.services.nested!.volumes[0]!.source, join(dir, 'lib', 'deeper', 'here'));

  const cyc = project({
    'compose.yaml': 'include: [a.yaml]\nservices:\n  web:\n    image: busybox\n',
    'a.yaml': 'include: [compose.yaml]\nservices:\n  a:\n    image: busybox\n',
  });
  assert.match(await loadError(cyc), /^include cycle detected:/);
});

test('-f override files: !reset and !override through the loader', async () => {
  const dir = project({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    ports: ["8080:80"]\n    environment: {A: "1", B: "2"}\n',
    'override.yaml': 'services:\n  web:\n    ports: !reset []\n    environment: !override\n      C: "3"\n',
  });
  const p = await load(dir, { files: ['compose.yaml', 'override.yaml'] });
  assert.deepEqual(p.services.web!.ports, []);
  assert.deepEqual(p.services.web!.environment, { C: '3' });
});

test('values the schema lets through as strings must still be numbers: port target, replicas, scale', async () => {
  let dir = project({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    ports:\n      - target: abc\n',
  });
  assert.equal(await loadError(dir), 'services.web.ports.target: invalid port "abc"');
  dir = project({
    'compose.yaml': 'services:\n  web:\n    image: busybox\n    deploy:\n      replicas: two\n',
  });
  assert.equal(await loadError(dir), 'services.web.deploy.replicas must be an integer, got "two"');
  dir = project({
    'compose.yaml':
      'services:\n  web:\n    image: busybox\n    scale: "3"\n    ports:\n      - target: "80"\n',
  });
  const p = await load(dir);
  assert.equal(p.services.web!.scale, 3);
  assert.equal(p.services.web!.deploy!.replicas, 3);
  assert.equal(p.services.web!.ports[0]!.target, 80);
});
