// Networking through the real docker CLI: published ports (127.0.0.1, the
// host's own address, random ports, "port is already allocated"), user
// networks with embedded DNS (names, aliases, round-robin, isolation,
// connect/disconnect), none/host modes, network create/ls/inspect/rm/prune
// errors — and that every bridge and rule berth made is gone afterwards.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string =>
  `${p}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The host's first non-loopback IPv4 address (what other hosts would connect to). */
function hostAddress(): string {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? [])
      if (a.family === 'IPv4' && !a.internal && !/^(10\.8[789]|172\.17)\./.test(a.address)) return a.address;
  throw new Error('no host address');
}

async function httpGet(host: string, port: number, path = '/'): Promise<string> {
  const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  return res.text();
}

function iptablesSave(): string {
  return spawnSync('iptables-save', { encoding: 'utf8' }).stdout;
}

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '0.0.0.0', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('networking (docker CLI)', () => {
  let d: TestDaemon;
  let tag = '';
  const netA = uniq('gna');
  const netB = uniq('gnb');
  const ok = (args: string[]): string => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const httpd = (name: string, ...extra: string[]): string =>
    ok([
      'run',
      '-d',
      '--name',
      name,
      ...extra,
      'busybox',
      'sh',
      '-c',
      `mkdir -p /www && echo hello-${name} > /www/index.html && exec httpd -f -p 80 -h /www`,
    ]);

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tag = ok(['info', '-f', '{{.ID}}']).replace(/-/g, '').slice(0, 8);
  });
  after(async () => {
    if (!d) return;
    const ids = d.docker(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.docker(['rm', '-f', ...ids]);
    for (const n of [netA, netB]) d.docker(['network', 'rm', n]);
    const bridges =
      d.docker(['network', 'ls', '-q']).code === 0
        ? ok(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'bridge'])
        : '';
    await d.stop();
    // A clean stop with no container left takes the default bridge and every rule of this engine down.
    assert.ok(!iptablesSave().includes(`berth:${tag}:`), 'rules of this engine left behind');
    if (bridges) assert.ok(!linkExists(bridges), `bridge ${bridges} left behind`);
  });

  it('publishes a port on 127.0.0.1 and on the host address; random ports show in docker port', async () => {
    const port = await freePort();
    const name = uniq('web');
    httpd(name, '-p', `${port}:80`);
    assert.equal((await httpGet('127.0.0.1', port)).trim(), `hello-${name}`);
    assert.equal((await httpGet(hostAddress(), port)).trim(), `hello-${name}`);
    assert.equal(ok(['port', name, '80']), `0.0.0.0:${port}`);
    const ps = ok(['ps', '--filter', `name=${name}`, '--format', '{{.Ports}}']);
    assert.equal(ps, `0.0.0.0:${port}->80/tcp`);

    const rnd = uniq('rnd');
    httpd(rnd, '-p', '127.0.0.1::80');
    const mapped = ok(['port', rnd]);
    const m = /^80\/tcp -> 127\.0\.0\.1:(\d+)$/.exec(mapped);
    assert.ok(m, mapped);
    assert.equal((await httpGet('127.0.0.1', Number(m[1]))).trim(), `hello-${rnd}`);
    const ports = JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Ports}}', rnd]));
    assert.deepEqual(ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: m[1] }] });
    ok(['rm', '-f', name, rnd]);
    assert.ok(!iptablesSave().includes(`--dport ${port} `), 'DNAT rule left after rm');
  });

  it('refuses a host port that is taken, and leaves nothing behind', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '0.0.0.0', () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const name = uniq('busy');
      const r = d.docker(['run', '-d', '--name', name, '-p', `${port}:80`, 'busybox', 'sleep', '60']);
      assert.equal(r.code, 125);
      assert.match(
        r.stderr,
        new RegExp(
          `driver failed programming external connectivity on endpoint ${name} \\([0-9a-f]{64}\\): Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`,
        ),
      );
      assert.equal(ok(['inspect', '-f', '{{.State.Status}}', name]), 'created');
      const id = ok(['inspect', '-f', '{{.Id}}', name]);
      assert.ok(!iptablesSave().includes(`ctr:${id.slice(0, 12)}`));
      assert.ok(!existsSync(`${d.execRoot}/netns/${id}`), 'namespace file left');
      ok(['rm', name]);
    } finally {
      holder.close();
    }
  });

  it('resolves names and aliases on a user network, not across networks; connect and disconnect', () => {
    ok(['network', 'create', '--label', 'gtest=1', netA]);
    ok(['network', 'create', netB]);
    const a1 = uniq('a1');
    httpd(a1, '--network', netA, '--network-alias', 'svc');
    const viaName = ok(['run', '--rm', '--network', netA, 'busybox', 'wget', '-qO-', `http://${a1}/`]);
    assert.equal(viaName, `hello-${a1}`);
    assert.equal(
      ok(['run', '--rm', '--network', netA, 'busybox', 'wget', '-qO-', 'http://svc/']),
      `hello-${a1}`,
    );
    // Another network: the name does not resolve, and the address is unreachable (isolation).
    const ip = ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${netA}").IPAddress}}`, a1]);
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    const other = d.docker(['run', '--rm', '--network', netB, 'busybox', 'nslookup', a1]);
    assert.notEqual(other.code, 0, other.stdout);
    const byIp = d.docker([
      'run',
      '--rm',
      '--network',
      netB,
      'busybox',
      'wget',
      '-T',
      '2',
      '-qO-',
      `http://${ip}/`,
    ]);
    assert.notEqual(byIp.code, 0, 'isolation between networks');
    // The default bridge has no name resolution.
    assert.notEqual(d.docker(['run', '--rm', 'busybox', 'nslookup', a1]).code, 0);

    const b1 = uniq('b1');
    ok(['run', '-d', '--name', b1, '--network', netB, 'busybox', 'sleep', '120']);
    assert.notEqual(d.docker(['exec', b1, 'wget', '-T', '2', '-qO-', `http://${a1}/`]).code, 0);
    ok(['network', 'connect', '--alias', 'bee', netA, b1]);
    assert.equal(ok(['exec', b1, 'wget', '-qO-', `http://${a1}/`]), `hello-${a1}`);
    assert.match(
      ok(['run', '--rm', '--network', netA, 'busybox', 'nslookup', 'bee']),
      /Address: \d+\.\d+\.\d+\.\d+/,
    );
    const again = d.docker(['network', 'connect', netA, b1]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists in network/);
    const members = JSON.parse(ok(['network', 'inspect', '-f', '{{json .Containers}}', netA]));
    assert.deepEqual(
      Object.values(members)
        .map((m: any) => m.Name)
        .sort(),
      [a1, b1].sort(),
    );
    ok(['network', 'disconnect', netA, b1]);
    assert.notEqual(d.docker(['exec', b1, 'wget', '-T', '2', '-qO-', `http://${a1}/`]).code, 0);

    const rm = d.docker(['network', 'rm', netA]);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /has active endpoints/);
    ok(['rm', '-f', a1, b1]);
  });

  it('answers a shared alias with every container (round-robin)', () => {
    const r1 = uniq('r1');
    const r2 = uniq('r2');
    for (const n of [r1, r2])
      ok(['run', '-d', '--name', n, '--network', netA, '--network-alias', 'pool', 'busybox', 'sleep', '120']);
    const out = ok(['run', '--rm', '--network', netA, 'busybox', 'nslookup', 'pool']);
    const ips = [...out.matchAll(/Address: (\d+\.\d+\.\d+\.\d+)$/gm)]
      .map((m) => m[1])
      .filter((x) => !x.endsWith('.1'));
    assert.equal(new Set(ips).size, 2, out);
    ok(['rm', '-f', r1, r2]);
  });

  it('--network none has only lo; --network host sees the host interfaces', () => {
    const none = ok(['run', '--rm', '--network', 'none', 'busybox', 'ls', '/sys/class/net']);
    assert.deepEqual(none.split(/\s+/), ['lo']);
    const host = ok(['run', '--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']).split(/\s+/);
    for (const i of Object.keys(os.networkInterfaces()))
      assert.ok(host.includes(i), `${i} missing in ${host}`);
  });

  it('network create/ls/inspect/rm/prune: Docker shapes and errors', () => {
    const n = uniq('gnc');
    ok([
      'network',
      'create',
      '--subnet',
      '10.123.45.0/24',
      '--gateway',
      '10.123.45.254',
      '--ip-range',
      '10.123.45.128/25',
      '--internal',
      '-o',
      `com.docker.network.bridge.name=${n.slice(0, 15)}`,
      n,
    ]);
    const doc = JSON.parse(ok(['network', 'inspect', n]))[0];
    assert.deepEqual(doc.IPAM.Config, [
      { Subnet: '10.123.45.0/24', IPRange: '10.123.45.128/25', Gateway: '10.123.45.254' },
    ]);
    assert.equal(doc.Internal, true);
    assert.ok(linkExists(n.slice(0, 15)));
    const c = uniq('c');
    ok(['run', '-d', '--name', c, '--network', n, 'busybox', 'sleep', '60']);
    const ip = ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${n}").IPAddress}}`, c]);
    assert.match(ip, /^10\.123\.45\.(12[89]|1[3-9]\d|2\d\d)$/, 'address from the ip-range');
    const fixed = uniq('f');
    ok(['run', '-d', '--name', fixed, '--network', n, '--ip', '10.123.45.200', 'busybox', 'sleep', '60']);
    assert.equal(
      ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${n}").IPAddress}}`, fixed]),
      '10.123.45.200',
    );
    ok(['rm', '-f', c, fixed]);

    const overlap = d.docker(['network', 'create', '--subnet', '10.123.0.0/16', uniq('gno')]);
    assert.equal(overlap.code, 1);
    assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
    const dup = d.docker(['network', 'create', n]);
    assert.match(dup.stderr, new RegExp(`network with name ${n} already exists`));
    assert.match(d.docker(['network', 'create', 'bad name']).stderr, /invalid name/);
    assert.match(d.docker(['network', 'rm', 'bridge']).stderr, /pre-defined network and cannot be removed/);

    const names = ok(['network', 'ls', '--filter', 'label=gtest=1', '--format', '{{.Name}} {{.Driver}}']);
    assert.equal(names, `${netA} bridge`);
    assert.deepEqual(
      ok(['network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}']).split('\n').sort(),
      ['bridge', 'host', 'none'],
    );
    ok(['network', 'rm', n]);
    assert.ok(!linkExists(n.slice(0, 15)), 'bridge removed with its network');
    const pruned = ok(['network', 'prune', '-f', '--filter', 'label=gtest=1']);
    assert.match(pruned, new RegExp(netA));
    assert.notEqual(d.docker(['network', 'inspect', netA]).code, 0);
  });
});
