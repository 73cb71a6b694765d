// certs.d: a registry whose certificate is signed by the CA in
// <certs.d>/<host>/ca.crt is verified against it (even on loopback), and the
// wrong CA is refused with Docker's x509 text.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RegistryClient, TransportError } from '../../src/distribution/client.js';
import { AgentPool, readCertsDir } from '../../src/distribution/tls.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-tls-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

function ca(name: string): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
}

test('verified against the certs.d CA; a wrong CA is refused', async () => {
  ca('good-ca');
  ca('other-ca');
  openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'srv.key',
    '-out',
    'srv.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  openssl([
    'x509',
    '-req',
    '-in',
    'srv.csr',
    '-CA',
    'good-ca.crt',
    '-CAkey',
    'good-ca.key',
    '-CAcreateserial',
    '-out',
    'srv.crt',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  ]);
  const server = https.createServer(
    { key: readFileSync(path.join(dir, 'srv.key')), cert: readFileSync(path.join(dir, 'srv.crt')) },
    (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const good = path.join(dir, 'certs-good');
    mkdirSync(path.join(good, host), { recursive: true });
    copyFileSync(path.join(dir, 'good-ca.crt'), path.join(good, host, 'ca.crt'));
    assert.equal(readCertsDir(good, host)?.ca?.length, 1);
    const ep = { url: `https://${host}`, skipVerify: true, mirror: false, host };
    const pool = new AgentPool(good);
    const res = await new RegistryClient(ep, pool, undefined, []).send('GET', '/v2/');
    res.resume();
    assert.equal(res.statusCode, 200);
    pool.close();

    const bad = path.join(dir, 'certs-bad');
    mkdirSync(path.join(bad, host), { recursive: true });
    copyFileSync(path.join(dir, 'other-ca.crt'), path.join(bad, host, 'ca.crt'));
    const badPool = new AgentPool(bad);
    await assert.rejects(new RegistryClient(ep, badPool, undefined, []).send('GET', '/v2/'), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.match(
        (e as Error).message,
        new RegExp(
          `Get "https://${host}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
        ),
      );
      return true;
    });
    badPool.close();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
