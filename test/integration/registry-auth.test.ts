// Registries that authenticate: docker-registry with htpasswd Basic auth
// over TLS (its CA in the daemon's certs.d), and behind a token service that
// issues scoped JWTs. The real docker CLI and berth log in, push and pull.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { removeDirSync } from '../support/teardown.js';

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('htpasswd Basic auth over TLS with a CA in certs.d', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let certsDir: string;
  let image: string;

  before(async () => {
    certsDir = mkdtempSync(path.join(os.tmpdir(), 'berth-certs-'));
    reg = await startRegistry({ tls: true, auth: 'htpasswd', certsDir, users: { tester: 'secret-pass' } });
    d = await startDaemon({ config: { 'certs-dir': certsDir } });
    image = `${reg.host}/private/busybox:latest`;
    await ensureBusybox(d, image);
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    if (certsDir) removeDirSync(certsDir);
  });

  test('push without credentials is refused', () => {
    const r = d.docker(['push', image]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no basic auth credentials/);
  });

  test("docker login with a wrong password gives the registry's 401", () => {
    const r = d.docker(['login', '-u', 'tester', '--password-stdin', reg.host], { input: 'wrong\n' });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `Error response from daemon: login attempt to https://${reg.host}/v2/ failed with status: 401 Unauthorized`,
      ),
    );
  });

  test('docker login stores the credentials; push and pull use them', () => {
    const out = ok(
      d.docker(['login', '-u', 'tester', '--password-stdin', reg.host], { input: 'secret-pass\n' }),
      'login',
    );
    assert.match(out, /Login Succeeded/);
    const cfg = JSON.parse(readFileSync(path.join(d.dir, 'docker-config', 'config.json'), 'utf8'));
    assert.equal(Buffer.from(cfg.auths[reg.host].auth, 'base64').toString(), 'tester:secret-pass');
    const push = ok(d.docker(['push', image]), 'push');
    assert.match(push, /latest: digest: sha256:/);
    ok(d.docker(['rmi', image]), 'rmi');
    const pull = ok(d.docker(['pull', image]), 'pull');
    assert.match(pull, new RegExp(`Status: Downloaded newer image for ${reg.host}/private/busybox:latest`));
  });

  test('berth reads the same config.json; logout removes the entry', () => {
    ok(d.berth(['rmi', image]), 'berth rmi');
    ok(d.berth(['pull', image]), 'berth pull with saved credentials');
    const out = ok(d.berth(['logout', reg.host]), 'berth logout');
    assert.equal(out.trim(), `Removing login credentials for ${reg.host}`);
    const cfg = JSON.parse(readFileSync(path.join(d.dir, 'docker-config', 'config.json'), 'utf8'));
    assert.equal(cfg.auths[reg.host], undefined);
    const r = d.berth(['pull', image]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no basic auth credentials/);
    const login = ok(
      d.berth(['login', '-u', 'tester', '--password-stdin', reg.host], { input: 'secret-pass\n' }),
      'berth login',
    );
    assert.match(login, /Login Succeeded/);
  });

  test('berth run pulls a missing image with the saved credentials', () => {
    const ids = [
      ...new Set(
        ok(d.docker(['images', '-aq', '--no-trunc']), 'images')
          .split('\n')
          .filter(Boolean),
      ),
    ];
    ok(d.docker(['rmi', '-f', ...ids]), 'rmi all');
    const r = d.berth(['run', '--rm', '--network', 'none', image, 'echo', 'auto-pulled']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'auto-pulled');
    assert.match(r.stderr, new RegExp(`Unable to find image '${reg.host}/private/busybox:latest' locally`));
    assert.match(r.stderr, /Pull complete/);
  });
});

describe('token auth: scoped JWTs from a token service', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let image: string;

  before(async () => {
    reg = await startRegistry({ auth: 'token', users: { alice: 'wonderland' } });
    d = await startDaemon();
    image = `${reg.host}/team/app:1.0`;
    await ensureBusybox(d, image);
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
  });

  test('an anonymous push gets a token without push rights and is refused', () => {
    const r = d.docker(['push', image]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unauthorized|denied/);
    assert.ok(reg.tokenRequests().includes('repository:team/app:pull,push'), reg.tokenRequests().join(' '));
  });

  test('wrong credentials: "unauthorized: incorrect username or password"', () => {
    const r = d.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'nope\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unauthorized: incorrect username or password/);
  });

  test('after login, push and pull work with scoped tokens', () => {
    ok(d.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'wonderland\n' }), 'login');
    const push = ok(d.docker(['push', image]), 'push');
    assert.match(push, /1\.0: digest: sha256:/);
    ok(d.docker(['rmi', image]), 'rmi');
    const pull = ok(d.docker(['pull', image]), 'pull');
    assert.match(pull, /Pull complete/);
    assert.ok(reg.tokenRequests().includes('repository:team/app:pull'), reg.tokenRequests().join(' '));
  });

  test('anonymous pull gets a pull-only token', () => {
    ok(d.docker(['rmi', image]), 'rmi');
    const anon = mkdtempSync(path.join(os.tmpdir(), 'berth-anon-'));
    try {
      const pull = ok(d.docker(['pull', image], { env: { DOCKER_CONFIG: anon } }), 'anonymous pull');
      assert.match(pull, /Status: Downloaded newer image/);
    } finally {
      removeDirSync(anon);
    }
  });
});
