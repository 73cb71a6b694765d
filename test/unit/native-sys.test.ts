// The native addon's wrappers do what the tools they replace did: a mount is
// in /proc/self/mountinfo and then gone, a namespace file holds a namespace
// whose `lo` is up, a veth comes out exactly as `ip -batch` made it; and with
// BERTH_NATIVE=0 the same wrappers take the spawn path with the same effects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSys, nativeUnavailable } from '../../src/util/native.js';
import { hasOwnFilesystem, isMountPoint, mountOverlay, unmount } from '../../src/runtime/rootfs.js';
import { createNetns, deleteNetns } from '../../src/network/links.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const linksJs = path.join(here, '../../src/network/links.js');
const nativeJs = path.join(here, '../../src/util/native.js');

const mountsOf = (p: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4] === p);

const loUp = (file: string): boolean =>
  /<[^>]*\bUP\b[^>]*>/.test(
    execFileSync('nsenter', [`--net=${file}`, 'ip', '-o', 'link', 'show', 'lo'], { encoding: 'utf8' }),
  );

function scratch(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'berth-native-'));
}

function forceUnmount(p: string): void {
  while (mountsOf(p).length) spawnSync('umount', ['-l', p]);
}

test('the addon is built and loads (npm ci builds it with node-gyp)', () => {
  assert.ok(nativeSys(), `addon unavailable: ${nativeUnavailable()}`);
});

test('mount and umount2: a tmpfs appears in mountinfo, then is gone', async () => {
  const dir = scratch();
  const target = path.join(dir, 'mnt');
  mkdirSync(target);
  try {
    nativeSys()!.mount('tmpfs', target, 'tmpfs', 0, 'size=1m,mode=0750');
    const line = mountsOf(target)[0];
    assert.ok(line, 'tmpfs mounted');
    assert.match(line, / - tmpfs tmpfs .*size=1024k/);
    await unmount(target);
    assert.deepEqual(mountsOf(target), []);
  } finally {
    forceUnmount(target);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mount errors carry the errno code and are not swallowed', () => {
  assert.throws(
    () => nativeSys()!.mount('tmpfs', '/nonexistent/berth-native', 'tmpfs', 0, null),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.errno === 2,
  );
});

test('overlay rootfs through mount(2): lower content visible, upper takes writes, unmount clears it', async () => {
  const dir = scratch();
  const merged = path.join(dir, 'merged');
  try {
    mkdirSync(path.join(dir, 'l1'));
    writeFileSync(path.join(dir, 'l1', 'from-lower'), 'lower\n');
    await mountOverlay([path.join(dir, 'l1')], path.join(dir, 'upper'), path.join(dir, 'work'), merged);
    assert.ok(isMountPoint(merged));
    assert.ok(hasOwnFilesystem(merged));
    assert.equal(hasOwnFilesystem(path.join(dir, 'l1')), false);
    assert.match(mountsOf(merged)[0], / - overlay overlay /);
    assert.equal(readFileSync(path.join(merged, 'from-lower'), 'utf8'), 'lower\n');
    writeFileSync(path.join(merged, 'new'), 'x');
    assert.ok(existsSync(path.join(dir, 'upper', 'new')));
    await unmount(merged);
    assert.equal(isMountPoint(merged), false);
    assert.equal(hasOwnFilesystem(merged), false);
    await unmount(merged); // not mounted: nothing to do, no error
  } finally {
    forceUnmount(merged);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createNetns: a namespace bound to the file with lo up; deleteNetns removes mount and file', async () => {
  const dir = scratch();
  const file = path.join(dir, 'netns', 'c1');
  const hostNs = readlinkSync(`/proc/${process.pid}/task/${process.pid}/ns/net`);
  try {
    await createNetns(file);
    assert.equal(mountsOf(file).length, 1, 'bind mount of the namespace');
    assert.ok(loUp(file), 'lo is UP inside');
    // The calling thread went back to the namespace it came from.
    assert.equal(readlinkSync(`/proc/${process.pid}/task/${process.pid}/ns/net`), hostNs);
    await deleteNetns(file);
    assert.deepEqual(mountsOf(file), []);
    assert.equal(existsSync(file), false);
  } finally {
    forceUnmount(file);
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Runs `body` (an ES module body with `dir` in scope) in a child node inside a
 * private network namespace, so its bridge and veths never touch the host's.
 */
function inPrivateNet(
  body: string,
  env: Record<string, string> = {},
): { out: string; err: string; code: number } {
  const dir = scratch();
  try {
    const script = `const dir = ${JSON.stringify(dir)};\n${body}`;
    const r = spawnSync('unshare', ['--net', process.execPath, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 30_000,
    });
    return { out: r.stdout, err: r.stderr, code: r.status ?? 128 };
  } finally {
    for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const p = l.split(' ')[4];
      if (p?.startsWith(dir + '/')) spawnSync('umount', ['-l', p]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// Two containers' worth of plumbing on one bridge, then what `ip` sees of each.
const vethScript = `
const { addVeth, createNetns, deleteNetns } = await import(${JSON.stringify(linksJs)});
const { reportNativeTo } = await import(${JSON.stringify(nativeJs)});
const { execFileSync } = await import('node:child_process');
const paths = [];
reportNativeTo((msg, f) => paths.push(f.op + '=' + f.path));
const ip = (...a) => execFileSync('ip', a, { encoding: 'utf8' });
ip('link', 'add', 'brnat0', 'type', 'bridge');
ip('addr', 'add', '10.231.7.1/24', 'dev', 'brnat0');
ip('link', 'set', 'brnat0', 'up');
const views = [];
for (const [i, veth] of [[2, 'vethnat2'], [3, 'vethnat3']]) {
  const ns = dir + '/ns' + i;
  await createNetns(ns);
  await addVeth({ hostVeth: veth, bridge: 'brnat0', netns: ns, ifname: 'eth0', cidr: '10.231.7.' + i + '/24',
    mac: '02:42:0a:e7:07:0' + i, gateway: '10.231.7.1', mtu: 1400 });
  const inside = (...a) => execFileSync('nsenter', ['--net=' + ns, 'ip', ...a], { encoding: 'utf8' });
  views.push({
    addr: inside('-4', '-o', 'addr', 'show', 'eth0').replace(/^\\d+: /, '').replace(/@if\\d+/, ''),
    link: inside('-o', 'link', 'show', 'eth0').replace(/^\\d+: /, '').replace(/@if\\d+/, ''),
    route: inside('route'),
    host: ip('-o', 'link', 'show', veth).replace(/^\\d+: /, '').replace(/@if\\d+/, '').replace(/link\\/ether \\S+/, ''),
  });
}
views.push({ ping: execFileSync('nsenter', ['--net=' + dir + '/ns2', 'busybox', 'ping', '-c1', '-W2', '10.231.7.3'], { encoding: 'utf8' }).includes('1 packets received') });
await deleteNetns(dir + '/ns2');
await deleteNetns(dir + '/ns3');
// The kernel destroys a namespace (and the veths in it) in a work queue, soon after the last reference goes.
const left = () => ip('-o', 'link').split('\\n').filter((l) => l.includes('vethnat')).length;
for (let i = 0; i < 100 && left() > 0; i++) await new Promise((r) => setTimeout(r, 30));
views.push({ veths: left() });
console.log(JSON.stringify({ paths, views }));
`;

test('veth plumbing: the addon and ip -batch (BERTH_NATIVE=0) give identical interfaces, addresses and routes', () => {
  const native = inPrivateNet(vethScript);
  assert.equal(native.code, 0, native.err);
  const spawned = inPrivateNet(vethScript, { BERTH_NATIVE: '0' });
  assert.equal(spawned.code, 0, spawned.err);
  const a = JSON.parse(native.out) as { paths: string[]; views: Record<string, unknown>[] };
  const b = JSON.parse(spawned.out) as { paths: string[]; views: Record<string, unknown>[] };
  assert.deepEqual(a.paths.sort(), ['netns=native', 'umount=native', 'veth=native']);
  assert.deepEqual(b.paths.sort(), ['netns=spawn', 'umount=spawn', 'veth=spawn']);
  assert.deepEqual(a.views, b.views);
  const first = a.views[0] as { addr: string; link: string; route: string };
  assert.match(first.addr, /eth0\s+inet 10\.231\.7\.2\/24 scope global eth0/);
  assert.match(first.link, /mtu 1400 .*state UP.*link\/ether 02:42:0a:e7:07:02/);
  assert.match(first.route, /^default via 10\.231\.7\.1 dev eth0/m);
  assert.deepEqual(a.views[2], { ping: true });
  assert.deepEqual(a.views[3], { veths: 0 }, 'veths go with their namespaces');
});

test('spawn: pipes on fds 2-5 in the right directions, signals reset, own session, reaped with its status', async () => {
  const sys = nativeSys()!;
  // fd 2 and 3 written by the child, fd 4 read by it, fd 5 written; SIGPIPE (ignored by Node) is default again.
  const script =
    'echo to-stderr >&2; read line <&4; echo "got $line" >&3; echo attach >&5; ' +
    'grep -q "^SigIgn:[[:space:]]*0*$" /proc/self/status && echo sigs-default >&3; ' +
    'echo "sid $(cut -d" " -f6 /proc/self/stat) pid $$" >&3; pwd >&3; exit 7';
  const [pid, errFd, outFd, inFd, attachFd] = sys.spawn(
    'sh',
    ['sh', '-c', script],
    ['PATH=/usr/bin:/bin'],
    '/tmp',
    4,
  );
  const read = (fd: number): Promise<string> =>
    new Promise((resolve) => {
      const s = new net.Socket({ fd, readable: true, writable: false });
      let t = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (t += d));
      s.on('close', () => resolve(t));
    });
  const [err, out, att] = [read(errFd), read(outFd), read(attachFd)];
  const w = new net.Socket({ fd: inFd, readable: false, writable: true });
  w.end('hello\n');
  assert.equal(await err, 'to-stderr\n');
  assert.equal(await att, 'attach\n');
  const lines = (await out).trim().split('\n');
  assert.equal(lines[0], 'got hello');
  assert.equal(lines[1], 'sigs-default');
  assert.equal(lines[2], `sid ${pid} pid ${pid}`, 'the child leads its own session');
  assert.equal(lines[3], '/tmp');
  let status = -1;
  for (let i = 0; i < 500 && status < 0; i++) {
    status = sys.reap(pid);
    if (status < 0) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(status, 7);
  assert.equal(existsSync(`/proc/${pid}`), false, 'no zombie left');
});

test('spawn of a missing program throws ENOENT and leaks no descriptors', () => {
  const before = readdirSync('/proc/self/fd').length;
  assert.throws(
    () => nativeSys()!.spawn('/nonexistent/berth-x', ['x'], [], '/', 2),
    (e: NodeJS.ErrnoException) => e.code === 'ENOENT',
  );
  assert.equal(readdirSync('/proc/self/fd').length, before);
});
