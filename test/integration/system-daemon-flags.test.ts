// berthd's flags and daemon.json as `docker info` and the socket show them:
// debug, labels, socket group, a loopback TCP listener, and refusing a
// config file that is missing or broken.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BERTHD, DOCKER, startDaemon, type TestDaemon } from '../support/daemon.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function groupGid(name: string): number | undefined {
  const r = spawnSync('getent', ['group', name], { encoding: 'utf8' });
  const gid = Number(r.stdout.split(':')[2]);
  return r.status === 0 && Number.isInteger(gid) ? gid : undefined;
}

describe('daemon flags and daemon.json', () => {
  const daemons: TestDaemon[] = [];
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'berth-flags-test-'));
  after(async () => {
    for (const d of daemons) await d.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('-D turns on debug mode; daemon.json labels appear in docker info', async () => {
    const d = await startDaemon({ args: ['-D'], config: { labels: ['zone=test', 'owner=berth'] } });
    daemons.push(d);
    const info = JSON.parse(d.docker(['info', '--format', '{{json .}}']).stdout);
    assert.equal(info.Debug, true);
    assert.deepEqual(info.Labels, ['zone=test', 'owner=berth']);
    assert.match(d.docker(['info']).stdout, /Debug Mode: true/);
  });

  test('--group gives the socket to that group, mode 0660', async () => {
    const gid = groupGid('daemon');
    assert.ok(gid !== undefined, 'the daemon group exists on Debian');
    const d = await startDaemon({ args: ['--group', 'daemon'] });
    daemons.push(d);
    const st = statSync(d.sock);
    assert.equal(st.gid, gid);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o660);
  });

  test('-H tcp://127.0.0.1:PORT serves the API next to the unix socket', async () => {
    const port = await freePort();
    const d = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${port}`] });
    daemons.push(d);
    // startDaemon's own -H unix:// comes first, so both listeners are up.
    const r = spawnSync(
      DOCKER,
      ['-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.APIVersion}}'],
      {
        encoding: 'utf8',
        env: { ...process.env, DOCKER_CONFIG: path.join(d.dir, 'docker-config') },
        timeout: 60_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1.51');
    assert.equal(d.docker(['version', '--format', '{{.Server.APIVersion}}']).stdout.trim(), '1.51');
  });

  const startBad = (configFile: string) =>
    spawnSync(
      process.execPath,
      [
        BERTHD,
        '-H',
        `unix://${scratch}/bad.sock`,
        '--data-root',
        `${scratch}/data`,
        '--exec-root',
        `${scratch}/exec`,
        '--config-file',
        configFile,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );

  test('an explicit --config-file that does not exist stops berthd with exit code 1', () => {
    const missing = path.join(scratch, 'missing.json');
    const r = startBad(missing);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`failed to start daemon: .*${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  test('a daemon.json that is not a JSON object stops berthd with exit code 1', () => {
    const broken = path.join(scratch, 'broken.json');
    writeFileSync(broken, '{"labels": [');
    const r = startBad(broken);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /unable to configure the berth daemon with file .*broken\.json/);
  });
});
