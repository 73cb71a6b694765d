// Real registries for tests: Debian's docker-registry (distribution 2.8) on a
// loopback port with a temp storage dir, optionally over TLS (a throwaway CA
// written to the daemon's certs.d), with htpasswd Basic auth, or behind a
// small token server written here that issues Docker-Hub-style scoped JWTs
// (RS256 with an x5c chain, which distribution's `auth: token` verifies).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import http from 'node:http';
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
  /** Token server, when `auth: 'token'`. */
  tokenServer?: http.Server;
  /** Scopes the token server was asked for (`repository:x:pull`), in order. */
  tokenRequests: string[];
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
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=berth-test-ca'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf'], dir);
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
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

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** The token server: Basic credentials checked against `users`; scopes granted as asked. */
async function startTokenServer(
  dir: string,
  users: Record<string, string>,
  service: string,
  requests: string[],
): Promise<{ server: http.Server; realm: string; bundle: string }> {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'token.key', '-out', 'token.crt', '-days', '2', '-subj', '/CN=berth-token-issuer'], dir);
  const key = readFileSync(path.join(dir, 'token.key'), 'utf8');
  const certPem = readFileSync(path.join(dir, 'token.crt'), 'utf8');
  const der = new X509Certificate(certPem).raw;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const scopes = u.searchParams.getAll('scope');
    requests.push(...scopes);
    let subject = '';
    const authz = req.headers.authorization;
    if (authz?.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(authz.slice(6), 'base64').toString().split(':');
      if (users[user] !== rest.join(':')) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      subject = user;
    }
    const access = scopes.flatMap((s) => {
      const [type, ...more] = s.split(':');
      const actions = more.pop()!.split(',');
      // Anonymous users may only pull.
      const allowed = subject ? actions : actions.filter((a) => a === 'pull');
      return [{ type, name: more.join(':'), actions: allowed }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: 'berth-test-issuer', sub: subject, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signing = b64url(JSON.stringify(header)) + '.' + b64url(JSON.stringify(claims));
    const sig = createSign('RSA-SHA256').update(signing).sign(key);
    const token = signing + '.' + b64url(sig);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return { server, realm: `http://127.0.0.1:${port}/token`, bundle: path.join(dir, 'token.crt') };
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
    if (Date.now() > deadline) throw new Error(`docker-registry did not start: ${readFileSync(logFile, 'utf8')}`);
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
  const tokenRequests: string[] = [];
  let tokenServer: http.Server | undefined;
  if (opts.auth === 'htpasswd') {
    lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${htpasswdFile(dir, users)}`);
  } else if (opts.auth === 'token') {
    const t = await startTokenServer(dir, users, 'berth-test-registry', tokenRequests);
    tokenServer = t.server;
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
    const proc = spawn(REGISTRY_BIN, ['serve', cfg], { stdio: ['ignore', out, out] });
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
    tokenRequests,
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
      await new Promise<void>((resolve) => (tokenServer ? tokenServer.close(() => resolve()) : resolve()));
      removeDirSync(dir);
    },
  };
  return r;
}
