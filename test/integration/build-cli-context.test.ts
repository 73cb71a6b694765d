// What `berth build` sends is what `DOCKER_BUILDKIT=0 docker build` sends:
// both CLIs talk to a recording stand-in daemon on a private socket, and the
// context tars (entries, modes, owners, mtimes, sizes, links) and the /build
// query are compared. No engine is needed: this is the client side only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const BERTH = path.join(ROOT, 'dist/berth.mjs');
const DOCKER = '/usr/local/bin/docker';

interface Recorded {
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A stand-in daemon: answers _ping, records POST /build and replies with a legacy stream. */
function recorder(sock: string, calls: Recorded[]): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      res.setHeader('Api-Version', '1.41');
      res.setHeader('Ostype', 'linux');
      if (url.pathname.endsWith('/_ping')) return res.end('OK');
      if (!url.pathname.endsWith('/build')) {
        res.statusCode = 404;
        return res.end('{"message":"not here"}');
      }
      calls.push({ query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) });
      res.setHeader('Content-Type', 'application/json');
      const id = 'sha256:' + 'ab'.repeat(32);
      if (url.searchParams.get('q') === '1') {
        res.end(JSON.stringify({ stream: id + '\n' }) + '\n');
        return;
      }
      res.write(JSON.stringify({ stream: 'Step 1/1 : FROM scratch\n' }) + '\n');
      res.write(
        JSON.stringify({ aux: { 'berth.stage': { index: 0, step: 1, total: 1, state: 'start' } } }) + '\n',
      );
      res.write(JSON.stringify({ stream: ' ---> \n' }) + '\n');
      if (url.searchParams.get('target') === 'multi') {
        // Two stages, as berthd marks them; the second stage's step arrives while the first is open.
        const mark = (index: number, name: string, step: number, state: string): string =>
          JSON.stringify({ aux: { 'berth.stage': { index, name, step, total: 3, state } } }) + '\n';
        res.write(mark(0, 'a', 2, 'start'));
        res.write(mark(1, 'b', 3, 'start'));
        res.write(JSON.stringify({ stream: 'Step 2/3 : RUN a\n' }) + '\n');
        res.write(JSON.stringify({ stream: 'partial ' }) + '\n');
        res.write(JSON.stringify({ stream: 'line\n' }) + '\n');
        res.write(mark(0, 'a', 2, 'done'));
        res.write(mark(1, 'b', 3, 'done'));
      }
      if (url.searchParams.get('target') === 'fail') {
        res.end(JSON.stringify({ errorDetail: { code: 3, message: 'it broke' }, error: 'it broke' }) + '\n');
        return;
      }
      res.write(JSON.stringify({ aux: { ID: id } }) + '\n');
      res.end(JSON.stringify({ stream: 'Successfully built abababababab\n' }) + '\n');
    });
  });
  return new Promise((resolve) => server.listen(sock, () => resolve(server)));
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; sock: string; input?: Buffer; env?: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: {
        ...process.env,
        DOCKER_HOST: `unix://${opts.sock}`,
        DOCKER_BUILDKIT: '0',
        DOCKER_CONFIG: opts.cwd,
        ...opts.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.stdin.end(opts.input ?? Buffer.alloc(0));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** `tar -tv` lines: mode, owner, size, mtime, name, link target — everything the daemon sees. */
function listing(tarBytes: Buffer, dir: string, rename?: [RegExp, string]): string[] {
  const file = path.join(dir, `ctx-${Math.random().toString(16).slice(2)}.tar`);
  writeFileSync(file, tarBytes);
  // The docker CLI leaves the end-of-archive blocks out when it adds a Dockerfile
  // (dockerd does not mind), so tar's complaint about that is not checked.
  const r = spawnSync('tar', ['-tvf', file, '--numeric-owner', '--full-time'], { encoding: 'utf8' });
  rmSync(file);
  assert.ok(r.stdout.trim(), r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' '))
    .map((l) => (rename ? l.replace(rename[0], rename[1]) : l));
}

/** The content of one member. */
function member(tarBytes: Buffer, name: string, dir: string): string {
  const file = path.join(dir, `m-${Math.random().toString(16).slice(2)}.tar`);
  writeFileSync(file, tarBytes);
  const r = spawnSync('tar', ['-xOf', file, name], { encoding: 'utf8' });
  rmSync(file);
  return r.stdout;
}

describe('berth build sends the context the docker CLI sends', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-build-ctx-'));
  const sock = path.join(dir, 'd.sock');
  const calls: Recorded[] = [];
  let server: Server;
  const ctx = path.join(dir, 'ctx');
  const outside = path.join(dir, 'outside');

  before(async () => {
    server = await recorder(sock, calls);
    mkdirSync(path.join(ctx, 'src/deep'), { recursive: true });
    mkdirSync(path.join(ctx, 'logs'), { recursive: true });
    mkdirSync(path.join(ctx, 'node_modules/pkg'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
    writeFileSync(path.join(ctx, 'app.js'), 'console.log(1)\n');
    writeFileSync(path.join(ctx, 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(path.join(ctx, 'run.sh'), 0o4755);
    writeFileSync(path.join(ctx, 'src/a.ts'), 'a');
    writeFileSync(path.join(ctx, 'src/deep/b.md'), 'b');
    writeFileSync(path.join(ctx, 'README.md'), 'readme');
    writeFileSync(path.join(ctx, 'NOTES.md'), 'notes');
    writeFileSync(path.join(ctx, 'logs/x.log'), 'log');
    writeFileSync(path.join(ctx, 'logs/keep.log'), 'keep');
    writeFileSync(path.join(ctx, 'node_modules/pkg/index.js'), 'x');
    writeFileSync(path.join(ctx, 'big.bin'), Buffer.alloc(700 * 1024, 7));
    linkSync(path.join(ctx, 'app.js'), path.join(ctx, 'app-link.js'));
    symlinkSync('/etc/passwd', path.join(ctx, 'passwd-link'));
    symlinkSync('../outside', path.join(ctx, 'out-link'));
    writeFileSync(
      path.join(ctx, '.dockerignore'),
      '# comment\n*.md\n!README.md\nlogs\n!logs/keep.log\nnode_modules/\n.dockerignore\nDockerfile\n',
    );
    writeFileSync(path.join(outside, 'Other.dockerfile'), 'FROM scratch\nCMD ["outside"]\n');
    writeFileSync(path.join(outside, 'secret'), 'never sent');
    const t = new Date('2024-01-02T03:04:05.678Z');
    for (const p of ['app.js', 'src', 'src/a.ts', 'README.md']) utimesSync(path.join(ctx, p), t, t);
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  async function both(args: string[], input?: Buffer): Promise<[Recorded, Recorded, string[]]> {
    const start = calls.length;
    const d = await run(DOCKER, ['build', ...args], { cwd: dir, sock, input });
    assert.equal(d.code, 0, `docker: ${d.stderr}`);
    const b = await run(process.execPath, [BERTH, 'build', ...args], { cwd: dir, sock, input });
    assert.equal(b.code, 0, `berth: ${b.stderr}`);
    assert.equal(calls.length, start + 2);
    return [calls[start]!, calls[start + 1]!, [d.stdout, b.stdout]];
  }

  test('a directory with .dockerignore (exceptions, links, modes, mtimes); same query', async () => {
    const [d, b, [dout, bout]] = await both([
      '-t',
      'a:1',
      '-t',
      'b',
      '--build-arg',
      'X=1',
      '--label',
      'l=v',
      'ctx',
    ]);
    const dl = listing(d.body, dir);
    assert.deepEqual(listing(b.body, dir), dl);
    const names = dl.map((l) => l.split(' ').slice(5).join(' '));
    assert.ok(names.includes('README.md') && !names.includes('NOTES.md'), names.join(','));
    assert.ok(
      names.includes('logs/keep.log') && !names.includes('logs/x.log') && !names.includes('logs/'),
      names.join(','),
    );
    assert.ok(names.includes('passwd-link -> /etc/passwd'), names.join(','));
    assert.ok(names.includes('Dockerfile') && names.includes('.dockerignore'));
    assert.ok(!names.some((n) => n.startsWith('node_modules')));
    assert.ok(!names.some((n) => n.includes('secret')));
    assert.deepEqual([...b.query].sort(), [...d.query].sort());
    // Both print the upload line and the daemon's text the same way.
    assert.equal(bout, dout);
    assert.match(
      bout,
      /^Sending build context to Docker daemon {2}\S+\r\r\nStep 1\/1 : FROM scratch\n ---> \nSuccessfully built abababababab\n$/,
    );
  });

  test('every option becomes the query docker v28 sends', async () => {
    const [d, b] = await both([
      ...[
        '--no-cache',
        '--pull',
        '--rm=false',
        '--force-rm',
        '--network',
        'host',
        '--platform',
        'Linux/AMD64',
      ],
      ...['--target', 'final', '--add-host', 'a.example:10.250.0.1', '-m', '64m', '--memory-swap', '128m'],
      ...['--cpu-shares', '5', '--cpu-period', '100000', '--cpu-quota', '50000', '--cpuset-cpus', '0'],
      ...['--cpuset-mems', '0', '--shm-size', '64m', '--ulimit', 'nofile=100:200', '--cache-from', 'busybox'],
      ...['--cache-from', 'b:1', '--label', 'a=b', '--label', 'c', '--security-opt', 'seccomp=unconfined'],
      ...['--cgroup-parent', 'p', '--isolation', 'default', '--build-arg', 'E=', 'ctx'],
    ]);
    assert.deepEqual([...b.query].sort(), [...d.query].sort());
    assert.equal(b.headers['content-type'], 'application/x-tar');
    assert.equal(
      Buffer.from(String(b.headers['x-registry-config']), 'base64').toString(),
      Buffer.from(String(d.headers['x-registry-config']), 'base64').toString(),
    );
  });

  test('-f outside the context: the Dockerfile travels under a random name listed in .dockerignore', async () => {
    const [d, b] = await both(['-f', 'outside/Other.dockerfile', 'ctx']);
    const rename: [RegExp, string] = [/\.dockerfile\.[0-9a-f]{20}/, '.dockerfile.RANDOM'];
    const dl = listing(d.body, dir, rename).filter((l) => !l.includes('.dockerfile.RANDOM'));
    const bl = listing(b.body, dir, rename).filter((l) => !l.includes('.dockerfile.RANDOM'));
    // .dockerignore's size includes the random name's line; both grow alike.
    assert.deepEqual(bl, dl);
    const name = b.query.get('dockerfile')!;
    assert.match(name, /^\.dockerfile\.[0-9a-f]{20}$/);
    assert.match(d.query.get('dockerfile')!, /^\.dockerfile\.[0-9a-f]{20}$/);
    assert.equal(member(b.body, name, dir), 'FROM scratch\nCMD ["outside"]\n');
    assert.ok(member(b.body, '.dockerignore', dir).endsWith(`\n${name}\n`));
  });

  test('-f - reads the Dockerfile from stdin', async () => {
    const input = Buffer.from('FROM scratch\nCMD ["stdin"]\n');
    const [d, b] = await both(['-f', '-', 'ctx'], input);
    const name = b.query.get('dockerfile')!;
    assert.match(name, /^\.dockerfile\.[0-9a-f]{20}$/);
    assert.equal(member(b.body, name, dir), input.toString());
    assert.equal(listing(b.body, dir).length, listing(d.body, dir).length);
  });

  test('- with a tar on stdin sends it untouched; - with a Dockerfile sends a one-file context', async () => {
    const tarFile = path.join(dir, 'in.tar');
    spawnSync('tar', ['-cf', tarFile, '-C', ctx, 'Dockerfile', 'app.js']);
    const tarBytes = readFileSync(tarFile);
    const [d, b] = await both(['-'], tarBytes);
    assert.ok(b.body.equals(tarBytes));
    assert.ok(d.body.equals(tarBytes));
    const df = Buffer.from('FROM scratch\n');
    const [d2, b2] = await both(['-'], df);
    assert.equal(b2.query.get('dockerfile'), d2.query.get('dockerfile'));
    const names = (l: string[]): string[] => l.map((x) => x.split(' ').slice(5).join(' '));
    assert.deepEqual(names(listing(b2.body, dir)), names(listing(d2.body, dir)));
    assert.equal(member(b2.body, 'Dockerfile', dir), 'FROM scratch\n');
  });

  test('-q prints only what the daemon streams, --iidfile gets it; build args from the environment', async () => {
    const iid = path.join(dir, 'iid');
    const args = ['-q', '--iidfile', iid, '--build-arg', 'FROM_ENV', '--build-arg', 'UNSET_ONE', 'ctx'];
    const start = calls.length;
    const env = { FROM_ENV: 'env-value' };
    const d = await run(DOCKER, ['build', ...args], { cwd: dir, sock, env });
    const dIid = readFileSync(iid, 'utf8');
    const b = await run(process.execPath, [BERTH, 'build', ...args], { cwd: dir, sock, env });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, d.stdout);
    assert.equal(b.stdout, `sha256:${'ab'.repeat(32)}\n`);
    assert.equal(readFileSync(iid, 'utf8'), dIid);
    assert.deepEqual(JSON.parse(calls[start + 1]!.query.get('buildargs')!), {
      FROM_ENV: 'env-value',
      UNSET_ONE: null,
    });
    assert.equal(calls[start + 1]!.query.get('buildargs'), calls[start]!.query.get('buildargs'));
  });

  test('an error in the stream goes to stderr with its code as the exit status', async () => {
    const d = await run(DOCKER, ['build', '--target', 'fail', 'ctx'], { cwd: dir, sock });
    const b = await run(process.execPath, [BERTH, 'build', '--target', 'fail', 'ctx'], { cwd: dir, sock });
    assert.equal(d.code, 3);
    assert.equal(b.code, 3);
    assert.equal(b.stdout, d.stdout);
    assert.equal(b.stderr, 'it broke\n');
    assert.ok(d.stderr.endsWith('it broke\n'));
  });

  test("--progress=tty keeps one line per stage under the text and removes it at the end; plain is docker's text", async () => {
    const tty = await run(process.execPath, [BERTH, 'build', '--progress=tty', '--target', 'multi', 'ctx'], {
      cwd: dir,
      sock,
    });
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, / => \[a\] +step 2\/3 running\n => \[b\] +step 3\/3 running\n/);
    assert.match(tty.stdout, / => \[a\] +step 2\/3 done\n => \[b\] +step 3\/3 done\n/);
    // Each redraw first moves up over the footer and clears it.
    assert.ok(tty.stdout.includes('\x1b[2A\r\x1b[J'));
    // With the escapes and footers taken out, the text is the plain text.
    const plain = await run(
      process.execPath,
      [BERTH, 'build', '--progress=plain', '--target', 'multi', 'ctx'],
      { cwd: dir, sock },
    );
    const docker = await run(DOCKER, ['build', '--target', 'multi', 'ctx'], { cwd: dir, sock });
    assert.equal(plain.stdout, docker.stdout);
    const stripped = tty.stdout
      .replaceAll('\x1b[2A\r\x1b[J', '')
      .replace(/ => \[\w\] +step \d\/\d (running|done)\n/g, '');
    assert.equal(stripped, plain.stdout);
    assert.match(plain.stdout, /Step 2\/3 : RUN a\npartial line\n/);
    const bad = await run(process.execPath, [BERTH, 'build', '--progress=fancy', 'ctx'], { cwd: dir, sock });
    assert.equal(bad.code, 125);
  });

  test('context errors match the docker CLI', async () => {
    for (const args of [
      ['nope'],
      ['-f', 'missing.df', 'ctx'],
      ['-f', '-', '-'],
      [path.join(ctx, 'app.js')],
    ]) {
      const d = await run(DOCKER, ['build', ...args], { cwd: dir, sock });
      const b = await run(process.execPath, [BERTH, 'build', ...args], { cwd: dir, sock });
      assert.equal(b.code, d.code, args.join(' '));
      const last = (s: string): string => s.trim().split('\n').pop()!;
      assert.equal(last(b.stderr), last(d.stderr), args.join(' '));
    }
  });
});
