// run/create flag translation, checked value by value and against the real
// docker CLI v28: each case runs `docker create …` against a socket that
// records the request body, and our translation of the same argv must match.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags, FlagError } from '../../src/cli/containers-flags.js';
import { buildCreateRequest, RUN_FLAGS, CREATE_FLAGS } from '../../src/cli/run-options.js';
import {
  ramInBytes,
  nanoCpus,
  parseDuration,
  parseRestartPolicy,
  parsePortSpec,
  parseKeyValueFile,
  parseUlimit,
  effectiveCaps,
  validateExtraHost,
} from '../../src/cli/containers-units.js';

const DOCKER = '/usr/local/bin/docker';

describe('unit parsers', () => {
  it('parses sizes like go-units RAMInBytes', () => {
    assert.equal(ramInBytes('512m'), 512 * 1024 * 1024);
    assert.equal(ramInBytes('1.5g'), 1.5 * 1024 ** 3);
    assert.equal(ramInBytes('100MiB'), 100 * 1024 ** 2);
    assert.equal(ramInBytes('4096'), 4096);
    assert.equal(ramInBytes('1k'), 1024);
    assert.throws(() => ramInBytes('xyz'), { message: "invalid size: 'xyz'" });
  });
  it('turns --cpus into NanoCpus exactly', () => {
    assert.equal(nanoCpus('1.5'), 1_500_000_000);
    assert.equal(nanoCpus('0.000000001'), 1);
    assert.equal(nanoCpus('2'), 2_000_000_000);
    assert.throws(() => nanoCpus('1.0000000001'), { message: 'value is too precise' });
  });
  it('parses Go durations', () => {
    assert.equal(parseDuration('30s'), 30e9);
    assert.equal(parseDuration('1m30s'), 90e9);
    assert.equal(parseDuration('1.5h'), 5400e9);
    assert.equal(parseDuration('250ms'), 250e6);
    assert.equal(parseDuration('0'), 0);
    assert.throws(() => parseDuration('x'), { message: 'time: invalid duration "x"' });
    assert.throws(() => parseDuration('10'), { message: 'time: missing unit in duration "10"' });
  });
  it('parses restart policies', () => {
    assert.deepEqual(parseRestartPolicy('on-failure:2'), { Name: 'on-failure', MaximumRetryCount: 2 });
    assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
    assert.throws(() => parseRestartPolicy('on-failure:x'), { message: 'invalid restart policy format: maximum retry count must be an integer' });
  });
  it('parses port specs', () => {
    assert.deepEqual(parsePortSpec('127.0.0.1:8080:80/udp'), [['80/udp', { HostIp: '127.0.0.1', HostPort: '8080' }]]);
    assert.deepEqual(parsePortSpec('80'), [['80/tcp', { HostIp: '', HostPort: '' }]]);
    assert.throws(() => parsePortSpec('99999:80'), { message: 'invalid hostPort: 99999' });
  });
  it('reads env files like docker', () => {
    const lines = parseKeyValueFile('f', '\uFEFFA=1\n# c\n  B=2 \nHOME\nNOPE\n', (k) => (k === 'HOME' ? '/root' : undefined));
    assert.deepEqual(lines, ['A=1', 'B=2 ', 'HOME=/root']);
    assert.throws(() => parseKeyValueFile('f', 'B =2'), { message: "invalid env file (f): variable 'B ' contains whitespaces" });
  });
  it('parses ulimits, caps and extra hosts', () => {
    assert.deepEqual(parseUlimit('nproc=5:10'), { Name: 'nproc', Hard: 10, Soft: 5 });
    assert.deepEqual(effectiveCaps(['net_admin', 'ALL'], ['all', 'chown']), { add: ['ALL', 'CAP_NET_ADMIN'], drop: ['ALL', 'CAP_CHOWN'] });
    assert.deepEqual(effectiveCaps(['net_admin'], ['NET_ADMIN', 'chown']), { add: ['CAP_NET_ADMIN'], drop: ['CAP_CHOWN', 'CAP_NET_ADMIN'] });
    assert.equal(validateExtraHost('b=::1'), 'b:::1');
    assert.throws(() => validateExtraHost('nohost'), { message: 'bad format for add-host: "nohost"' });
  });
});

describe('flag parsing', () => {
  it('stops at the image for run and keeps the command flags', () => {
    const f = parseFlags(RUN_FLAGS, ['-it', '--rm', '-p8080:80', '-e=A=1', '--sig-proxy=false', 'busybox', 'sh', '-c', 'ls -l'], { interspersed: false });
    assert.equal(f.bool('interactive'), true);
    assert.equal(f.bool('tty'), true);
    assert.equal(f.bool('rm'), true);
    assert.equal(f.bool('sig-proxy'), false);
    assert.deepEqual(f.list('publish'), ['8080:80']);
    assert.deepEqual(f.list('env'), ['A=1']);
    assert.deepEqual(f.args, ['busybox', 'sh', '-c', 'ls -l']);
  });
  it('reports pflag errors', () => {
    assert.throws(() => parseFlags(RUN_FLAGS, ['--foo'], { interspersed: false }), { message: 'unknown flag: --foo' });
    assert.throws(() => parseFlags(RUN_FLAGS, ['-m'], { interspersed: false }), { message: "flag needs an argument: 'm' in -m" });
    assert.throws(() => parseFlags(RUN_FLAGS, ['-m', 'xyz'], { interspersed: false }), {
      message: `invalid argument "xyz" for "-m, --memory" flag: invalid size: 'xyz'`,
    });
    assert.throws(() => parseFlags(RUN_FLAGS, ['--rm=maybe'], { interspersed: false }), FlagError);
  });
});

/** Drops Go's zero values so bodies compare on what was actually set. */
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalise(x);
      if (n === null || n === '' || n === 0 || n === false || (Array.isArray(n) && n.length === 0)) continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}

describe('create body matches the docker CLI', { skip: !existsSync(DOCKER) }, () => {
  let dir: string;
  let server: http.Server;
  let sock: string;
  const bodies: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-runopts-'));
    sock = path.join(dir, 'capture.sock');
    writeFileSync(path.join(dir, 'env.list'), 'A=1\n# comment\n  B=2 \nFROM_ENV\nUNSET_ONE\n');
    writeFileSync(path.join(dir, 'labels.list'), 'team=core\n#x\nbare\n');
    writeFileSync(path.join(dir, 'seccomp.json'), '{ "defaultAction": "SCMP_ACT_ALLOW" }');
    server = http.createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        res.setHeader('Api-Version', '1.51');
        if (req.url?.includes('/containers/create')) {
          bodies.push(b);
          res.writeHead(201, { 'Content-Type': 'application/json' });
          res.end('{"Id":"0123456789ab","Warnings":[]}');
        } else {
          res.writeHead(200);
          res.end('OK');
        }
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = { FROM_ENV: 'yes', HOME: '/root', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const cases: string[][] = [
    ['busybox'],
    ['--name', 'web', '-e', 'A=1', '-e', 'HOME', '-e', 'NOT_SET', '-l', 'a=b', '-l', 'c', 'busybox', 'sh', '-c', 'echo hi'],
    ['-p', '8080:80', '-p', '127.0.0.1:53:53/udp', '-p', '80', '-p', '1000-1001:2000-2001', '-p', '[::1]:81:81', '-p', '3000-3005:90', '--expose', '7000-7001', '-P', 'busybox'],
    ['-v', '/tmp:/data:ro', '-v', '/anon', '-v', './rel:/x', '-v', 'named:/y:rw', 'busybox'],
    ['-m', '512m', '--memory-swap', '-1', '--cpus', '1.5', '--cpu-shares', '512', '--cpuset-cpus', '0-1', '--pids-limit', '100', '--shm-size', '64m', 'busybox'],
    ['--restart', 'on-failure:2', '--stop-signal', 'SIGINT', '--stop-timeout', '5', '--init', '-w', '/w', '-u', '1000:1000', '-h', 'hh', 'busybox'],
    ['--health-cmd', 'true', '--health-interval', '30s', '--health-timeout', '1m30s', '--health-retries', '3', '--health-start-period', '250ms', 'busybox'],
    ['--no-healthcheck', '--entrypoint', '/bin/sh', '--read-only', '--privileged', '--cap-add', 'net_admin', '--cap-drop', 'ALL', 'busybox'],
    ['--security-opt', 'no-new-privileges', '--security-opt', 'label=disable', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3', 'busybox'],
    ['--ulimit', 'nofile=10', '--ulimit', 'nproc=5:10', '--add-host', 'a:1.2.3.4', '--add-host', 'b=::1', '--dns', '8.8.8.8', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox'],
    ['--tmpfs', '/run:size=64m', '--tmpfs', '/t', '--volumes-from', 'other', '--mount', 'type=bind,source=/tmp,target=/b,readonly', '--mount', 'type=volume,source=v,target=/v,volume-nocopy', '--mount', 'type=tmpfs,target=/tm,tmpfs-size=1m', 'busybox'],
    ['--network', 'host', 'busybox'],
    ['--net', 'mynet', '--network-alias', 'al', 'busybox'],
    ['--entrypoint=', '--init=false', 'busybox'],
    ['-i', 'busybox'],
    ['-it', '-a', 'stdin', 'busybox'],
    ['-a', 'stdout', '-t', 'busybox'],
    ['--env-file', '@DIR@/env.list', '-e', 'B=override', '--label-file', '@DIR@/labels.list', 'busybox'],
    ['--security-opt', 'seccomp=@DIR@/seccomp.json', 'busybox'],
    ['--rm', '--name', 'x', 'busybox', 'echo', '--not-a-flag'],
  ];

  for (const c of cases) {
    it(`docker create ${c.join(' ')}`, async () => {
      const argv = c.map((a) => a.replace('@DIR@', dir));
      const before = bodies.length;
      await new Promise<void>((resolve, reject) =>
        execFile(DOCKER, ['create', ...argv], { env: { ...env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: dir }, cwd: dir }, (err, _o, stderr) =>
          err ? reject(new Error(stderr)) : resolve(),
        ),
      );
      assert.equal(bodies.length, before + 1, 'docker sent one create request');
      const theirs = JSON.parse(bodies[before]!);
      const f = parseFlags(CREATE_FLAGS, argv, { interspersed: false });
      const ours = buildCreateRequest(f, { env, readFile: (p) => readFileSync(path.resolve(dir, p), 'utf8'), cwd: dir }, 'create').body;
      // docker collects -v binds and (in v28) -e values through Go maps, so
      // their order varies from run to run: compare them as sets.
      for (const b of [ours, theirs]) {
        b.HostConfig?.Binds?.sort();
        b.Env?.sort();
      }
      assert.deepEqual(normalise(ours), normalise(theirs));
    });
  }

  it('run -d attaches nothing and run -i attaches stdin', () => {
    const d = buildCreateRequest(parseFlags(RUN_FLAGS, ['-d', '-i', 'busybox'], { interspersed: false }), { env, readFile: () => '', cwd: dir }, 'run').body;
    assert.equal(d.AttachStdin || d.AttachStdout || d.AttachStderr, false);
    assert.equal(d.OpenStdin, true);
    assert.equal(d.StdinOnce, false);
    assert.throws(
      () => buildCreateRequest(parseFlags(RUN_FLAGS, ['--rm', '--restart', 'always', 'busybox'], { interspersed: false }), { env, readFile: () => '', cwd: dir }, 'run'),
      { message: 'conflicting options: cannot specify both --restart and --rm' },
    );
  });
});
