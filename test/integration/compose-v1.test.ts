// docker-compose v1.29 (Debian's /usr/bin/docker-compose, a second real
// client speaking an older API version) runs the basic stack against berthd:
// up -d, ps, exec -T, logs, down -v.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { api, assertGone } from './compose-helpers.js';

const V1 = '/usr/bin/docker-compose';
const loop = (msg: string): string =>
  `["sh", "-c", "trap 'exit 0' TERM; echo ${msg}; while true; do sleep 1; done"]`;

describe('docker-compose v1.29 against berthd', () => {
  let d: TestDaemon;
  let dir: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-compose-v1-'));
    writeFileSync(
      path.join(dir, 'docker-compose.yml'),
      `services:
  db:
    image: busybox:latest
    command: ${loop('db ready')}
    volumes: [data:/data]
  web:
    image: busybox:latest
    command: ${loop('web $$GREETING')}
    environment:
      GREETING: \${GREETING}
    depends_on: [db]
volumes:
  data:
`,
    );
    writeFileSync(path.join(dir, '.env'), 'GREETING=hello-v1\n');
  });
  after(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const v1 = (args: string[]) => {
    const r = spawnSync(V1, ['-p', 'cv1', ...args], {
      cwd: dir,
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: path.join(dir, 'docker-config') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const ok = (args: string[]) => {
    const r = v1(args);
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };

  it('up -d, ps, exec -T with service-name DNS, logs, down -v', async () => {
    ok(['up', '-d']);
    const web = await api(d.client, '/containers/cv1_web_1/json');
    assert.equal(web.State.Running, true);
    assert.equal(web.Config.Labels['com.docker.compose.project'], 'cv1');
    const ps = ok(['ps']).stdout;
    assert.match(ps, /cv1_db_1\s.*\sUp/);
    assert.match(ps, /cv1_web_1\s.*\sUp/);
    assert.match(ok(['exec', '-T', 'web', 'nslookup', 'db']).stdout, /Name:\s+db/);
    assert.equal(v1(['exec', '-T', 'web', 'sh', '-c', 'exit 4']).code, 4);
    assert.match(ok(['logs', '--no-color', 'web']).stdout, /web_1\s+\| web hello-v1/);
    ok(['down', '-v']);
    const left: any[] = await api(d.client, '/containers/json', {
      all: 1,
      filters: JSON.stringify({ label: ['com.docker.compose.project=cv1'] }),
    });
    assert.equal(left.length, 0);
    await assertGone(d.client, '/volumes/cv1_data');
    await assertGone(d.client, '/networks/cv1_default');
  });
});
