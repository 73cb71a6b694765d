// The CLI's credential store: config.json `auths` as the docker CLI writes
// them, and credential helpers (`credsStore`, `credHelpers`) run as
// docker-credential-<name> get/store/erase.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CredentialStore } from '../../src/cli/registry-credentials.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-creds-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('auths: base64 user:pass under the registry host, Docker Hub under its index URL', () => {
  const file = path.join(dir, 'plain', 'config.json');
  const store = new CredentialStore(file);
  assert.equal(store.get('localhost:5000'), undefined);
  store.store('localhost:5000', { username: 'u', password: 'p:w' });
  store.store('docker.io', { username: 'hub', password: 'x' });
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(cfg.auths['localhost:5000'].auth, Buffer.from('u:p:w').toString('base64'));
  assert.ok(cfg.auths['https://index.docker.io/v1/']);
  assert.deepEqual(store.get('localhost:5000'), {
    serveraddress: 'localhost:5000',
    username: 'u',
    password: 'p:w',
  });
  assert.equal(store.get('docker.io')?.username, 'hub');
  assert.equal(store.erase('localhost:5000'), true);
  assert.equal(store.erase('localhost:5000'), false);
  assert.equal(store.get('localhost:5000'), undefined);
});

test('credHelpers and credsStore run docker-credential-<name>', () => {
  const bin = path.join(dir, 'bin');
  const db = path.join(dir, 'helper-db.json');
  // A helper keeping secrets in a JSON file, speaking the credential-helper protocol.
  writeFileSync(
    path.join(dir, 'helper.cjs'),
    `const fs = require('fs'); const db = ${JSON.stringify(db)};
     const load = () => (fs.existsSync(db) ? JSON.parse(fs.readFileSync(db, 'utf8')) : {});
     let input = ''; process.stdin.on('data', (d) => (input += d)).on('end', () => {
       const all = load(); const action = process.argv[2];
       if (action === 'store') { const j = JSON.parse(input); all[j.ServerURL] = j; fs.writeFileSync(db, JSON.stringify(all)); }
       else if (action === 'get') { const j = all[input.trim()]; if (!j) { process.stdout.write('credentials not found in native keychain'); process.exit(1); } process.stdout.write(JSON.stringify(j)); }
       else if (action === 'erase') { delete all[input.trim()]; fs.writeFileSync(db, JSON.stringify(all)); }
     });`,
  );
  mkdirSync(bin, { recursive: true });
  const helper = path.join(bin, 'docker-credential-berthtest');
  writeFileSync(helper, `#!/bin/sh\nexec ${process.execPath} ${path.join(dir, 'helper.cjs')} "$@"\n`);
  chmodSync(helper, 0o755);
  const oldPath = process.env.PATH;
  process.env.PATH = `${bin}:${oldPath}`;
  try {
    const file = path.join(dir, 'helper', 'config.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ credHelpers: { 'reg.example:5000': 'berthtest' } }));
    const store = new CredentialStore(file);
    store.store('reg.example:5000', { username: 'alice', password: 's3cret' });
    assert.equal(JSON.parse(readFileSync(db, 'utf8'))['reg.example:5000'].Secret, 's3cret');
    assert.equal(
      JSON.parse(readFileSync(file, 'utf8')).auths['reg.example:5000'].auth,
      undefined,
      'no secret in config.json',
    );
    assert.deepEqual(store.get('reg.example:5000'), {
      username: 'alice',
      password: 's3cret',
      serveraddress: 'reg.example:5000',
    });
    assert.equal(store.usesHelper('reg.example:5000'), true);
    assert.equal(store.usesHelper('other:1'), false);
    store.erase('reg.example:5000');
    assert.equal(store.get('reg.example:5000'), undefined);
    // credsStore covers every registry without its own helper.
    writeFileSync(file, JSON.stringify({ credsStore: 'berthtest' }));
    store.store('other:1', { username: 'bob', password: 'pw' });
    assert.equal(store.get('other:1')?.username, 'bob');
  } finally {
    process.env.PATH = oldPath;
  }
  assert.ok(existsSync(db));
});
