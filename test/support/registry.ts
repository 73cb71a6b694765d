// Real registries for tests: Debian's docker-registry (distribution 2.8) on a
// loopback port with a temp storage dir, optionally over TLS (a throwaway CA
// written to the daemon's certs.d), with htpasswd Basic auth, or behind a
// small token server written here that issues Docker-Hub-style scoped JWTs
// (RS256 with an x5c chain, which distribution's `auth: token` verifies).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { removeDirSync } from './teardown.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  dir: string;
  storage: string;
  proc: ChildProcess;
  /** The CA that signed the TLS certificate (PEM file), when TLS is on. */
  caFile?: string;
  /** Token server process, when `auth: 'token'`. */
  tokenServer?: ChildProcess;
  /** Scopes the token server was asked for so far (`repository:x:pull`), in order. */
  tokenRequests(): string[];
  /** Kill (SIGKILL) — for fault tests. */
  kill(): Promise<void>;
  /** Start again on the same port and storage. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  tls?: boolean;
  auth?: 'htpasswd' | 'token';
  users?: Record<string, string>;
  /** Copies the CA into `<certsDir>/<host>/ca.crt`. */
  certsDir?: string;
}

/** Processes to kill if the test process exits without running after() (crash, timeout). */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(p: ChildProcess): ChildProcess {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(p);
  p.once('exit', () => live.delete(p));
  return p;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA and a server certificate for 127.0.0.1 / localhost signed by it. */
function makeTls(dir: string): { ca: string; cert: string; key: string } {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=berth-test-ca',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ],
    dir,
  );
  return {
    ca: path.join(dir, 'ca.crt'),
    cert: path.join(dir, 'server.crt'),
    key: path.join(dir, 'server.key'),
  };
}

function htpasswdFile(dir: string, users: Record<string, string>): string {
  const lines = Object.entries(users).map(([u, p]) => {
    const r = spawnSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd: ${r.stderr}`);
    return r.stdout.trim();
  });
  const file = path.join(dir, 'htpasswd');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/**
 * The token server runs as its own process: the tests drive the CLIs with
 * spawnSync, which blocks this process's event loop. It checks Basic
 * credentials against `users`, grants anonymous users pull only, and logs
 * every scope it is asked for to `requests.log`.
 */
const TOKEN_SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const crypto = require('node:crypto');
const [users, service, keyFile, certFile, logFile] = [JSON.parse(process.argv[2]), process.argv[3], process.argv[4], process.argv[5], process.argv[6]];
const key = fs.readFileSync(keyFile, 'utf8');
const der = new crypto.X509Certificate(fs.readFileSync(certFile, 'utf8')).raw;
const b64url = (b) => Buffer.from(b).toString('base64url');
const server = http.createServer((req, res) => {
  const u = new URL(req.url || '/', 'http://x');
  const scopes = u.searchParams.getAll('scope');
  for (const s of scopes) fs.appendFileSync(logFile, s + '\\n');
  let subject = '';
  const authz = req.headers.authorization;
  if (authz && authz.startsWith('Basic ')) {
    const [user, ...rest] = Buffer.from(authz.slice(6), 'base64').toString().split(':');
    if (users[user] !== rest.join(':')) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    subject = user;
  }
  const access = scopes.map((s) => {
    const parts = s.split(':');
    const actions = parts.pop().split(',');
    return { type: parts[0], name: parts.slice(1).join(':'), actions: subject ? actions : actions.filter((a) => a === 'pull') };
  });
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
  const claims = { iss: 'berth-test-issuer', sub: subject, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomBytes(8).toString('hex'), access };
  const signing = b64url(JSON.stringify(header)) + '.' + b64url(JSON.stringify(claims));
  const token = signing + '.' + b64url(crypto.createSign('RSA-SHA256').update(signing).sign(key));
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function startTokenServer(
  dir: string,
  users: Record<string, string>,
  service: string,
): Promise<{ proc: ChildProcess; realm: string; bundle: string; log: string }> {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'token.key',
      '-out',
      'token.crt',
      '-days',
      '2',
      '-subj',
      '/CN=berth-token-issuer',
    ],
    dir,
  );
  const script = path.join(dir, 'token-server.cjs');
  writeFileSync(script, TOKEN_SERVER);
  const log = path.join(dir, 'requests.log');
  writeFileSync(log, '');
  const proc = track(
    spawn(
      process.execPath,
      [script, JSON.stringify(users), service, path.join(dir, 'token.key'), path.join(dir, 'token.crt'), log],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(Number(buf.trim()));
    });
    proc.once('exit', (c) => reject(new Error(`token server exited with ${c}`)));
  });
  return { proc, realm: `http://127.0.0.1:${port}/token`, bundle: path.join(dir, 'token.crt'), log };
}

async function waitUp(port: number, tls: boolean, proc: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited: ${readFileSync(logFile, 'utf8')}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline)
      throw new Error(`docker-registry did not start: ${readFileSync(logFile, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  void tls;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-registry-'));
  const storage = path.join(dir, 'storage');
  mkdirSync(storage);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const users = opts.users ?? { tester: 'secret-pass' };
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];
  let caFile: string | undefined;
  if (opts.tls) {
    const t = makeTls(dir);
    caFile = t.ca;
    lines.push('  tls:', `    certificate: ${t.cert}`, `    key: ${t.key}`);
    if (opts.certsDir) {
      mkdirSync(path.join(opts.certsDir, host), { recursive: true });
      copyFileSync(t.ca, path.join(opts.certsDir, host, 'ca.crt'));
    }
  }
  let tokenLog: string | undefined;
  let tokenServer: ChildProcess | undefined;
  if (opts.auth === 'htpasswd') {
    lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${htpasswdFile(dir, users)}`);
  } else if (opts.auth === 'token') {
    const t = await startTokenServer(dir, users, 'berth-test-registry');
    tokenServer = t.proc;
    tokenLog = t.log;
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${t.realm}`,
      '    service: berth-test-registry',
      '    issuer: berth-test-issuer',
      `    rootcertbundle: ${t.bundle}`,
    );
  }
  const cfg = path.join(dir, 'config.yml');
  writeFileSync(cfg, lines.join('\n') + '\n');
  const logFile = path.join(dir, 'registry.log');
  const launch = async (): Promise<ChildProcess> => {
    const fs = await import('node:fs');
    const out = fs.openSync(logFile, 'a');
    const proc = track(spawn(REGISTRY_BIN, ['serve', cfg], { stdio: ['ignore', out, out] }));
    fs.closeSync(out);
    await waitUp(port, !!opts.tls, proc, logFile);
    return proc;
  };
  const r: TestRegistry = {
    host,
    port,
    dir,
    storage,
    proc: await launch(),
    caFile,
    tokenServer,
    tokenRequests: () => (tokenLog ? readFileSync(tokenLog, 'utf8').split('\n').filter(Boolean) : []),
    async kill() {
      const p = r.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
    },
    async restart() {
      await r.kill();
      r.proc = await launch();
    },
    async stop() {
      await r.kill();
      if (tokenServer && tokenServer.exitCode === null && tokenServer.signalCode === null)
        await new Promise<void>((resolve) => {
          tokenServer!.once('exit', () => resolve());
          tokenServer!.kill('SIGKILL');
        });
      removeDirSync(dir);
    },
  };
  return r;
}
