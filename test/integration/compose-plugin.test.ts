// `docker compose` through the real docker CLI v28 with berth's plugin in a
// private DOCKER_CONFIG: the metadata call, the engine chosen by the docker CLI
// (DOCKER_HOST or -H), and the basic stack up/ps/exec/down.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { api, assertGone } from './compose-helpers.js';

const PLUGIN = path.join(ROOT, 'bin/docker-compose-plugin');
const loop = (msg: string): string =>
  `["sh", "-c", "trap 'exit 0' TERM; echo ${msg}; while true; do sleep 1; done"]`;

describe('docker compose (berth plugin) against berthd', () => {
  let d: TestDaemon;
  let dir: string;
  let file: string;
  let config: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-compose-plugin-'));
    config = path.join(dir, 'docker-config');
    mkdirSync(path.join(config, 'cli-plugins'), { recursive: true });
    symlinkSync(PLUGIN, path.join(config, 'cli-plugins', 'docker-compose'));
    file = path.join(dir, 'compose.yaml');
    writeFileSync(
      file,
      `services:
  db:
    image: busybox:latest
    command: ${loop('db up')}
  web:
    image: busybox:latest
    command: ${loop('web up')}
    depends_on: [db]
`,
    );
  });
  after(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const docker = (args: string[], env: Record<string, string> = {}) =>
    d.docker(args, { env: { DOCKER_CONFIG: config, ...env } });
  const ok = (args: string[], env: Record<string, string> = {}) => {
    const r = docker(args, env);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const project = ['compose', '-p', 'cplug', '-f'];

  it('answers the plugin metadata call; docker lists it', () => {
    const meta = spawnSync(PLUGIN, ['docker-cli-plugin-metadata'], { encoding: 'utf8' });
    assert.equal(meta.status, 0, meta.stderr);
    const m = JSON.parse(meta.stdout);
    assert.equal(m.SchemaVersion, '0.1.0');
    assert.equal(m.Vendor, 'berth');
    assert.equal(m.ShortDescription, 'Docker Compose');
    assert.match(ok(['compose', 'version']).stdout, /^Docker Compose version v2\.\d+\.\d+/);
  });

  it('up -d, ps, exec -T (exit code passes through docker), down', async () => {
    const up = ok([...project, file, 'up', '-d']);
    assert.match(up.stderr, /Container cplug-web-1 {2}Started/);
    const ps = ok([...project, file, 'ps']).stdout;
    assert.match(ps, /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS\n/);
    assert.match(ps, /^cplug-db-1\s/m);
    assert.match(ps, /^cplug-web-1\s/m);
    assert.match(ok([...project, file, 'exec', '-T', 'web', 'nslookup', 'db']).stdout, /Name:\s+db/);
    assert.equal(docker([...project, file, 'exec', '-T', 'web', 'sh', '-c', 'exit 5']).code, 5);
    // The docker CLI's -H reaches the plugin when DOCKER_HOST is unset.
    const viaFlag = d.docker(['-H', d.host, ...project, file, 'ps', '-q'], {
      env: { DOCKER_CONFIG: config, DOCKER_HOST: '', BERTH_HOST: '' },
    });
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    assert.equal(viaFlag.stdout.trim().split('\n').length, 2);
    ok([...project, file, 'down']);
    const left: any[] = await api(d.client, '/containers/json', {
      all: 1,
      filters: JSON.stringify({ label: ['com.docker.compose.project=cplug'] }),
    });
    assert.equal(left.length, 0);
    await assertGone(d.client, '/networks/cplug_default');
  });
});
