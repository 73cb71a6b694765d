// berth compose: an external network shared by two projects, depends_on
// conditions (completed successfully, unhealthy), orphans, the attached
// `up --exit-code-from`, and dependency cycles.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { api } from './compose-helpers.js';

const loop = (msg: string): string =>
  `["sh", "-c", "trap 'exit 0' TERM; echo ${msg}; while true; do sleep 1; done"]`;

describe('berth compose: networks, dependencies, orphans, attached up', () => {
  let d: TestDaemon;
  let root: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    root = mkdtempSync(path.join(os.tmpdir(), 'berth-compose-deps-'));
  });
  after(async () => {
    await d?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Writes `<root>/<name>/compose.yaml` and returns a runner for it. */
  const project = (name: string, yaml: string) => {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(file, `name: ${name}\n${yaml}`);
    return {
      file,
      write: (y: string) => writeFileSync(file, `name: ${name}\n${y}`),
      run: (args: string[]) => d.berth(['compose', '-f', file, ...args]),
      ok(args: string[]) {
        const r = this.run(args);
        assert.equal(r.code, 0, `compose ${args.join(' ')}: ${r.stderr}`);
        return r;
      },
    };
  };
  const names = async (p: string): Promise<string[]> =>
    (
      (await api(d.client, '/containers/json', {
        all: 1,
        filters: JSON.stringify({ label: [`com.docker.compose.project=${p}`] }),
      })) as any[]
    )
      .map((c) => c.Names[0].slice(1))
      .sort();

  it('two projects share an external network; a missing one is an error', async () => {
    await api(d.client, '/_ping').catch(() => undefined); // drop a stale keep-alive socket first
    await d.client.post('/networks/create', { Name: 'cshared' });
    const external = `networks:\n  shared:\n    external: true\n    name: cshared\n`;
    const a = project(
      'ca',
      `services:\n  alpha:\n    image: busybox:latest\n    command: ${loop('a')}\n    networks: [shared]\n${external}`,
    );
    const b = project(
      'cb',
      `services:\n  beta:\n    image: busybox:latest\n    command: ${loop('b')}\n    networks: [shared]\n${external}`,
    );
    a.ok(['up', '-d']);
    b.ok(['up', '-d']);
    assert.match(b.ok(['exec', '-T', 'beta', 'nslookup', 'alpha']).stdout, /Name:\s+alpha/);
    a.ok(['down']);
    b.ok(['down']);
    await api(d.client, '/networks/cshared'); // external: left in place
    const c = project(
      'cc',
      `services:\n  x:\n    image: busybox:latest\n    networks: [gone]\nnetworks:\n  gone:\n    external: true\n    name: nope\n`,
    );
    const r = c.run(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network nope declared as external, but could not be found/);
    assert.deepEqual(await names('cc'), []);
  });

  it("service_completed_successfully waits for exit 0; a failing or unhealthy dependency stops up with Compose's error", async () => {
    const p = project(
      'cdeps',
      `services:
  init:
    image: busybox:latest
    command: ["sh", "-c", "sleep 1; exit 0"]
  app:
    image: busybox:latest
    command: ${loop('app')}
    depends_on:
      init:
        condition: service_completed_successfully
`,
    );
    const r = p.ok(['up', '-d']);
    assert.match(r.stderr, /Container cdeps-init-1 {2}Exited/);
    const app = await api(d.client, '/containers/cdeps-app-1/json');
    assert.equal(app.State.Running, true);
    p.ok(['down']);

    p.write(`services:
  init:
    image: busybox:latest
    command: ["sh", "-c", "exit 3"]
  app:
    image: busybox:latest
    command: ${loop('app')}
    depends_on:
      init:
        condition: service_completed_successfully
`);
    const failed = p.run(['up', '-d']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /service "init" didn't complete successfully: exit 3/);
    p.ok(['down']);

    p.write(`services:
  db:
    image: busybox:latest
    command: ${loop('db')}
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 1
  app:
    image: busybox:latest
    command: ${loop('app')}
    depends_on:
      db:
        condition: service_healthy
`);
    const unhealthy = p.run(['up', '-d']);
    assert.equal(unhealthy.code, 1);
    assert.match(unhealthy.stderr, /dependency failed to start: container cdeps-db-1 is unhealthy/);
    // What was created is consistent and `down` removes it.
    p.ok(['down']);
    assert.deepEqual(await names('cdeps'), []);
  });

  it('orphans: a warning, then --remove-orphans removes them', async () => {
    const two = `services:\n  a:\n    image: busybox:latest\n    command: ${loop('a')}\n  b:\n    image: busybox:latest\n    command: ${loop('b')}\n`;
    const p = project('corph', two);
    p.ok(['up', '-d']);
    p.write(`services:\n  a:\n    image: busybox:latest\n    command: ${loop('a')}\n`);
    const r = p.ok(['up', '-d']);
    assert.match(r.stderr, /Found orphan containers \(\[corph-b-1\]\) for this project/);
    assert.deepEqual(await names('corph'), ['corph-a-1', 'corph-b-1']);
    p.ok(['up', '-d', '--remove-orphans']);
    assert.deepEqual(await names('corph'), ['corph-a-1']);
    p.ok(['down']);
  });

  it('attached up streams prefixed logs and returns the --exit-code-from code', async () => {
    const p = project(
      'cattach',
      `services:
  job:
    image: busybox:latest
    command: ["sh", "-c", "sleep 1; echo job done; exit 7"]
  side:
    image: busybox:latest
    command: ${loop('side up')}
`,
    );
    const r = p.run(['up', '--exit-code-from', 'job']);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stdout, /^Attaching to job-1, side-1$/m);
    assert.match(r.stdout, /^job-1 {3}\| job done$/m);
    assert.match(r.stdout, /^side-1 {2}\| side up$/m);
    assert.match(r.stdout, /^job-1 exited with code 7$/m);
    const side = await api(d.client, '/containers/cattach-side-1/json');
    assert.equal(side.State.Running, false, 'the other services were stopped');
    p.ok(['down']);
  });

  it('attached up with --no-attach leaves that service out of the output', async () => {
    const p = project(
      'cnoatt',
      `services:
  job:
    image: busybox:latest
    command: ["sh", "-c", "sleep 1; echo job done; exit 3"]
  side:
    image: busybox:latest
    command: ${loop('side up')}
`,
    );
    const r = p.run(['up', '--exit-code-from', 'job', '--no-attach', 'side']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^Attaching to job-1$/m);
    assert.match(r.stdout, /^job-1 {2}\| job done$/m, 'the prefix is as wide as the attached names alone');
    assert.doesNotMatch(r.stdout, /side-1 +\|/);
    const side = await api(d.client, '/containers/cnoatt-side-1/json');
    assert.equal(side.State.Running, false, 'the not-attached service was stopped too');
    p.ok(['down']);
  });

  it('secrets and configs: files bind-mounted read-only, environment/content copied in', async () => {
    const p = project(
      'csec',
      `services:
  app:
    image: busybox:latest
    command: ${loop('app')}
    secrets:
      - token
      - source: fromenv
        target: env_secret
    configs:
      - source: appconf
        target: /etc/app.conf
secrets:
  token:
    file: ./token.txt
  fromenv:
    environment: SECRET_VALUE
configs:
  appconf:
    content: |
      key=value
`,
    );
    writeFileSync(path.join(path.dirname(p.file), 'token.txt'), 's3cret');
    const up = d.berth(['compose', '-f', p.file, 'up', '-d'], { env: { SECRET_VALUE: 'from-the-env' } });
    assert.equal(up.code, 0, up.stderr);
    const r = p.ok([
      'exec',
      '-T',
      'app',
      'sh',
      '-c',
      'cat /run/secrets/token /run/secrets/env_secret /etc/app.conf; echo x > /run/secrets/token || echo read-only',
    ]);
    assert.equal(r.stdout, 's3cretfrom-the-envkey=value\nread-only\n');
    p.ok(['down', '-t', '1']);
  });

  it('a dependency cycle is refused', async () => {
    const p = project(
      'ccycle',
      `services:\n  a:\n    image: busybox:latest\n    depends_on: [b]\n  b:\n    image: busybox:latest\n    depends_on: [a]\n`,
    );
    const r = p.run(['up', '-d']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cycle/);
    assert.deepEqual(await names('ccycle'), []);
  });
});
