// berth compose against a private berthd: the lecture's basic stack (a
// service with depends_on service_healthy on a db with a named volume),
// .env interpolation, env_file, service-name DNS, exec exit codes, ps/ls/logs,
// recreate-on-change, no-op up, scale, run --rm, down/down -v.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { api, assertGone } from './compose-helpers.js';

const PROJECT = 'cbasic';

// sh as PID 1 ignores SIGTERM unless it traps it: these exit at once on stop.
const loop = (msg: string): string =>
  `["sh", "-c", "trap 'exit 0' TERM; echo ${msg}; while true; do sleep 1; done"]`;

function composeFile(greetingOverride = ''): string {
  return `name: ${PROJECT}
services:
  db:
    image: \${IMAGE}
    command: ${loop('db ready')}
    env_file: [db.env]
    volumes: [data:/data]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      retries: 3
  web:
    image: \${IMAGE}
    command: ${loop('web $$GREETING')}
    environment:
      GREETING: ${greetingOverride || '${GREETING:-unset}'}
      FROM_SHELL:
    labels:
      lecture.example: "yes"
    depends_on:
      db:
        condition: service_healthy
volumes:
  data:
`;
}

describe('berth compose: basic stack', () => {
  let d: TestDaemon;
  let dir: string;
  let file: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-compose-basic-'));
    file = path.join(dir, 'compose.yaml');
    writeFileSync(file, composeFile());
    writeFileSync(path.join(dir, '.env'), 'IMAGE=busybox:latest\nGREETING=hello-from-dotenv\n');
    writeFileSync(path.join(dir, 'db.env'), 'DBVAR=from-env-file\n');
  });
  after(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const compose = (args: string[], env: Record<string, string> = {}) =>
    d.berth(['compose', '-f', file, ...args], { env });
  const ok = (args: string[], env: Record<string, string> = {}) => {
    const r = compose(args, env);
    assert.equal(r.code, 0, `compose ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const containers = async (): Promise<any[]> =>
    api(d.client, '/containers/json', {
      all: 1,
      filters: JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }),
    });
  const idOf = async (name: string): Promise<string> => (await api(d.client, `/containers/${name}/json`)).Id;

  it('up -d creates the network, volume and containers in dependency order with Compose labels', async () => {
    const r = ok(['up', '-d'], { FROM_SHELL: 'shell-value' });
    const lines = r.stderr.split('\n');
    const at = (s: string): number => lines.findIndex((l) => l === ` ${s}`);
    assert.ok(at('Network cbasic_default  Created') >= 0, r.stderr);
    assert.ok(at('Volume "cbasic_data"  Created') >= 0, r.stderr);
    assert.ok(at('Container cbasic-db-1  Healthy') >= 0, r.stderr);
    assert.ok(at('Container cbasic-db-1  Healthy') < at('Container cbasic-web-1  Started'), r.stderr);

    const web = await api(d.client, '/containers/cbasic-web-1/json');
    assert.equal(web.State.Running, true);
    const L = web.Config.Labels;
    assert.equal(L['com.docker.compose.project'], PROJECT);
    assert.equal(L['com.docker.compose.service'], 'web');
    assert.equal(L['com.docker.compose.container-number'], '1');
    assert.equal(L['com.docker.compose.oneoff'], 'False');
    assert.equal(L['com.docker.compose.depends_on'], 'db:service_healthy:false');
    assert.equal(L['com.docker.compose.project.config_files'], file);
    assert.equal(L['com.docker.compose.project.working_dir'], dir);
    assert.match(L['com.docker.compose.config-hash'], /^[0-9a-f]{64}$/);
    assert.match(L['com.docker.compose.image'], /^sha256:/);
    assert.equal(L['lecture.example'], 'yes');
    assert.deepEqual(web.NetworkSettings.Networks.cbasic_default.Aliases?.includes('web'), true);

    const net = await api(d.client, '/networks/cbasic_default');
    assert.equal(net.Labels['com.docker.compose.network'], 'default');
    assert.equal(net.Labels['com.docker.compose.project'], PROJECT);
    const vol = await api(d.client, '/volumes/cbasic_data');
    assert.equal(vol.Labels['com.docker.compose.volume'], 'data');
  });

  it('.env interpolation, env_file and environment from the shell reach the containers', () => {
    const web = ok(['exec', '-T', 'web', 'env']).stdout;
    assert.match(web, /^GREETING=hello-from-dotenv$/m);
    assert.match(web, /^FROM_SHELL=shell-value$/m);
    assert.match(ok(['exec', '-T', 'db', 'env']).stdout, /^DBVAR=from-env-file$/m);
  });

  it('service names resolve through the embedded DNS, exec returns the exit code', () => {
    const r = ok(['exec', '-T', 'web', 'nslookup', 'db']);
    assert.match(r.stdout, /Name:\s+db/);
    assert.equal(compose(['exec', '-T', 'web', 'sh', '-c', 'exit 3']).code, 3);
    assert.equal(
      ok(['exec', '-T', '-e', 'X=42', '-w', '/tmp', 'web', 'sh', '-c', 'echo $X $(pwd)']).stdout,
      '42 /tmp\n',
    );
    const bad = compose(['exec', '-T', 'nosuch', 'true']);
    assert.equal(bad.code, 1);
  });

  it('ps, ls and logs print what Compose prints', () => {
    const ps = ok(['ps']).stdout.split('\n');
    assert.match(ps[0], /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    assert.match(ps[1], /^cbasic-db-1\s+busybox:latest\s+".*"\s+db\s+.* ago\s+Up .*\(healthy\)/);
    assert.match(ps[2], /^cbasic-web-1\s+busybox:latest\s+".*"\s+web\s+/);
    assert.equal(ok(['ps', '--services']).stdout, 'db\nweb\n');
    assert.equal(ok(['ps', '-q']).stdout.trim().split('\n').length, 2);
    const json = ok(['ps', '--format', 'json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      json.map((c) => [c.Name, c.Service, c.State]),
      [
        ['cbasic-db-1', 'db', 'running'],
        ['cbasic-web-1', 'web', 'running'],
      ],
    );

    const ls = ok(['ls']).stdout.split('\n');
    assert.match(ls[0], /^NAME\s+STATUS\s+CONFIG FILES$/);
    assert.ok(
      ls.some((l) => new RegExp(`^${PROJECT}\\s+running\\(2\\)\\s+${file}$`).test(l)),
      ls.join('\n'),
    );

    const logs = ok(['logs', '--no-color']).stdout;
    assert.match(logs, /^db-1 {3}\| db ready$/m);
    assert.match(logs, /^web-1 {2}\| web hello-from-dotenv$/m);
    assert.equal(ok(['logs', '--no-log-prefix', 'web']).stdout, 'web hello-from-dotenv\n');
  });

  it('a no-op up leaves everything alone; a changed service alone is recreated', async () => {
    const db = await idOf('cbasic-db-1');
    const web = await idOf('cbasic-web-1');
    const r = ok(['up', '-d'], { FROM_SHELL: 'shell-value' });
    assert.match(r.stderr, /Container cbasic-web-1 {2}Running/);
    assert.equal(await idOf('cbasic-db-1'), db);
    assert.equal(await idOf('cbasic-web-1'), web);

    writeFileSync(file, composeFile('changed'));
    const r2 = ok(['up', '-d'], { FROM_SHELL: 'shell-value' });
    assert.match(r2.stderr, /Container cbasic-web-1 {2}Recreated/);
    assert.equal(await idOf('cbasic-db-1'), db, 'db was not recreated');
    assert.notEqual(await idOf('cbasic-web-1'), web, 'web was recreated');
    assert.match(ok(['exec', '-T', 'web', 'env']).stdout, /^GREETING=changed$/m);
    assert.equal((await containers()).length, 2, 'the old container is gone');
  });

  it('--scale up and down (highest numbers removed first)', async () => {
    ok(['up', '-d', '--scale', 'web=3']);
    let names = (await containers()).map((c) => c.Names[0].slice(1)).sort();
    assert.deepEqual(names, ['cbasic-db-1', 'cbasic-web-1', 'cbasic-web-2', 'cbasic-web-3']);
    const r = ok(['exec', '-T', '--index', '3', 'web', 'hostname']);
    assert.equal(r.stdout.trim(), (await idOf('cbasic-web-3')).slice(0, 12));
    ok(['up', '-d', '--scale', 'web=1']);
    names = (await containers()).map((c) => c.Names[0].slice(1)).sort();
    assert.deepEqual(names, ['cbasic-db-1', 'cbasic-web-1']);
  });

  it('run --rm: a one-off container with the oneoff label, removed after', async () => {
    const r = ok([
      'run',
      '--rm',
      '-T',
      'web',
      'sh',
      '-c',
      'echo one-off $GREETING; nslookup db && echo dns-ok',
    ]);
    assert.match(r.stdout, /^one-off changed\n[^]*Name:\s+db[^]*dns-ok\n$/, r.stdout + r.stderr);
    assert.equal((await containers()).length, 2);
    const code = compose(['run', '--rm', '-T', 'web', 'sh', '-c', 'exit 7']).code;
    assert.equal(code, 7);
  });

  it('a named volume survives down/up and goes with down -v; down leaves nothing behind', async () => {
    ok(['exec', '-T', 'db', 'sh', '-c', 'echo persisted > /data/f']);
    ok(['down']);
    assert.equal((await containers()).length, 0);
    await assertGone(d.client, '/networks/cbasic_default');
    await api(d.client, '/volumes/cbasic_data'); // still there
    ok(['up', '-d']);
    assert.equal(ok(['exec', '-T', 'db', 'cat', '/data/f']).stdout, 'persisted\n');
    const r = ok(['down', '-v']);
    assert.match(r.stderr, /Volume "cbasic_data" {2}Removed/);
    assert.equal((await containers()).length, 0);
    await assertGone(d.client, '/volumes/cbasic_data');
    const nets: any[] = await api(d.client, '/networks', {
      filters: JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }),
    });
    assert.equal(nets.length, 0);
  });
});
