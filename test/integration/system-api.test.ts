// System endpoints through the real docker CLI and raw HTTP: version, info,
// ping, API version negotiation, error answers, the events window.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { jsonLines, rawRequest } from '../support/http.js';
import { ensureBusybox } from '../support/images.js';

describe('system API', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  test('docker version shows a berth server speaking API 1.51', () => {
    const r = d.docker(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Server: berth /m);
    assert.match(r.stdout, /API version:\s+1\.51 \(minimum version 1\.24\)/);
    const server = JSON.parse(d.docker(['version', '--format', '{{json .Server}}']).stdout);
    assert.match(server.Platform.Name, /^berth /);
    assert.equal(server.ApiVersion, '1.51');
    assert.equal(server.Os, 'linux');
    assert.equal(server.KernelVersion, os.release());
    assert.equal(server.Components[0].Name, 'Engine');
    assert.match(r.stdout, /Experimental:\s+false/);
  });

  test('docker info reports the true figures of this host', () => {
    const r = d.docker(['info']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Server Version: /);
    const info = JSON.parse(d.docker(['info', '--format', '{{json .}}']).stdout);
    assert.equal(info.NCPU, os.cpus().length);
    assert.equal(info.MemTotal, os.totalmem());
    assert.equal(info.KernelVersion, os.release());
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    assert.equal(info.OperatingSystem, pretty);
    assert.equal(info.OSType, 'linux');
    assert.equal(info.DockerRootDir, d.dataRoot);
    assert.equal(info.Name, os.hostname());
    // cgroup v2 only when the unified hierarchy is mounted at the root.
    let v2 = false;
    try {
      v2 = statSync('/sys/fs/cgroup/cgroup.controllers').isFile();
    } catch {
      /* hybrid or v1 */
    }
    assert.equal(info.CgroupVersion, v2 ? '2' : '1');
    assert.equal(info.ServerErrors, undefined);
  });

  test('docker info counts images and containers as they are', async () => {
    const before = JSON.parse(d.docker(['info', '--format', '{{json .}}']).stdout);
    await ensureBusybox(d, 'sysinfo-count:latest');
    const running = d.docker(['run', '-d', '--name', 'sysinfo-running', 'sysinfo-count', 'sleep', '300']);
    assert.equal(running.code, 0, running.stderr);
    const exited = d.docker(['run', '--name', 'sysinfo-exited', 'sysinfo-count', 'true']);
    assert.equal(exited.code, 0, exited.stderr);
    try {
      const info = JSON.parse(d.docker(['info', '--format', '{{json .}}']).stdout);
      assert.equal(info.Images, before.Images + 1);
      assert.equal(info.Containers, before.Containers + 2);
      assert.equal(info.ContainersRunning, before.ContainersRunning + 1);
      assert.equal(info.ContainersStopped, before.ContainersStopped + 1);
      assert.equal(info.ContainersPaused, before.ContainersPaused);
    } finally {
      d.docker(['rm', '-f', 'sysinfo-running', 'sysinfo-exited']);
    }
  });

  test("GET and HEAD /_ping answer OK with Docker's headers", async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await rawRequest(d.sock, method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.body, method === 'GET' ? 'OK' : '');
      assert.equal(r.headers['api-version'], '1.51');
      assert.equal(r.headers['ostype'], 'linux');
      assert.equal(r.headers['docker-experimental'], 'false');
      assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      assert.equal(r.headers['pragma'], 'no-cache');
      assert.equal(r.headers['swarm'], 'inactive');
    }
  });

  test('versioned and unversioned paths both work', async () => {
    for (const p of ['/version', '/v1.51/version', '/v1.44/version', '/v1.24/version', '/v1.51/_ping']) {
      const r = await rawRequest(d.sock, 'GET', p);
      assert.equal(r.status, 200, `${p}: ${r.body}`);
    }
    assert.equal((await rawRequest(d.sock, 'GET', '/v1.50/info')).json.DockerRootDir, d.dataRoot);
    // Fields dockerd dropped from /info in API 1.49/1.50 are still sent to older clients.
    const old = (await rawRequest(d.sock, 'GET', '/v1.48/info')).json;
    assert.equal(old.BridgeNfIptables, false);
    assert.ok('AllowNondistributableArtifactsCIDRs' in old.RegistryConfig);
    const cur = (await rawRequest(d.sock, 'GET', '/v1.51/info')).json;
    assert.equal('BridgeNfIptables' in cur, false);
    assert.equal('AllowNondistributableArtifactsCIDRs' in cur.RegistryConfig, false);
  });

  test("too new and too old API versions get 400 with Docker's messages", async () => {
    const tooNew = await rawRequest(d.sock, 'GET', '/v1.99/version');
    assert.equal(tooNew.status, 400);
    assert.deepEqual(tooNew.json, {
      message: 'client version 1.99 is too new. Maximum supported API version is 1.51',
    });
    const tooOld = await rawRequest(d.sock, 'GET', '/v1.12/info');
    assert.equal(tooOld.status, 400);
    assert.deepEqual(tooOld.json, {
      message:
        'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    });
    // The real CLI pinned to a too-new version shows the daemon's message.
    const r = d.docker(['version'], { env: { DOCKER_API_VERSION: '1.52' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /client version 1\.52 is too new\. Maximum supported API version is 1\.51/);
  });

  test('an unknown path is 404 {"message":"page not found"}', async () => {
    for (const p of ['/no/such/thing', '/v1.51/no/such/thing']) {
      const r = await rawRequest(d.sock, 'GET', p);
      assert.equal(r.status, 404);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.deepEqual(r.json, { message: 'page not found' });
    }
  });

  test('/events with since and until in the past answers at once and ends', async () => {
    const now = Math.floor(Date.now() / 1000);
    const started = Date.now();
    const r = await rawRequest(d.sock, 'GET', `/events?since=${now - 3600}&until=${now - 1800}`, {
      timeoutMs: 5000,
    });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(jsonLines(r.body), []);
    assert.ok(Date.now() - started < 3000, 'the stream should close without waiting');
  });

  test('/events with until in the future streams until then', async () => {
    const started = Date.now();
    const until = (Date.now() + 1500) / 1000;
    const r = await rawRequest(d.sock, 'GET', `/events?until=${until.toFixed(3)}`, { timeoutMs: 10_000 });
    const took = Date.now() - started;
    assert.equal(r.status, 200);
    assert.ok(took >= 1000 && took < 6000, `closed after ${took} ms`);
  });

  test('/events rejects bad filters and times with 400', async () => {
    const bad = await rawRequest(
      d.sock,
      'GET',
      `/events?until=1&filters=${encodeURIComponent('{"colour":["red"]}')}`,
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { message: "invalid filter 'colour'" });
    const r = d.docker(['events', '--since', '1h', '--until', '0s', '--filter', 'type=container']);
    assert.equal(r.code, 0, r.stderr);
  });
});
