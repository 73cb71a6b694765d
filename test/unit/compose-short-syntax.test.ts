import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { normalizePorts, parsePortSpec } from '../../src/compose/normalize-ports.js';
import { parseVolumeSpec } from '../../src/compose/normalize-volumes.js';
import { splitShellWords } from '../../src/compose/shellwords.js';

test('ports: short syntax', () => {
  assert.deepEqual(parsePortSpec('80'), [{ mode: 'ingress', target: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortSpec('8080:80'), [
    { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
  ]);
  assert.deepEqual(parsePortSpec('127.0.0.1:8080:80/udp'), [
    { mode: 'ingress', host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'udp' },
  ]);
  assert.deepEqual(parsePortSpec('127.0.0.1::80'), [
    { mode: 'ingress', host_ip: '127.0.0.1', target: 80, protocol: 'tcp' },
  ]);
  assert.deepEqual(parsePortSpec('[::1]:6000:6000'), [
    { mode: 'ingress', host_ip: '::1', target: 6000, published: '6000', protocol: 'tcp' },
  ]);
  assert.deepEqual(
    parsePortSpec('3000-3002'),
    [3000, 3001, 3002].map((t) => ({ mode: 'ingress', target: t, protocol: 'tcp' })),
  );
  assert.deepEqual(parsePortSpec('9000-9001:8000-8001'), [
    { mode: 'ingress', target: 8000, published: '9000', protocol: 'tcp' },
    { mode: 'ingress', target: 8001, published: '9001', protocol: 'tcp' },
  ]);
  assert.deepEqual(parsePortSpec('9090-9091:8080'), [
    { mode: 'ingress', target: 8080, published: '9090-9091', protocol: 'tcp' },
  ]);
  assert.throws(() => parsePortSpec('abc'), /Invalid containerPort: abc/);
  assert.throws(() => parsePortSpec('80/xyz'), /invalid proto: xyz/);
  assert.throws(() => parsePortSpec('1-3:5-6'), /Invalid ranges specified for container and host Ports/);
});

test('ports: numbers, long syntax and duplicates', () => {
  assert.deepEqual(
    normalizePorts('web', [80, { target: 443, published: 8443, host_ip: '0.0.0.0' }, '8080:80', '8080:80']),
    [
      { mode: 'ingress', target: 80, protocol: 'tcp' },
      { mode: 'ingress', host_ip: '0.0.0.0', target: 443, published: '8443', protocol: 'tcp' },
      { mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' },
    ],
  );
});

test('volumes: short syntax', () => {
  assert.deepEqual(parseVolumeSpec('./data:/data:ro', '/p'), {
    type: 'bind',
    source: '/p/data',
    target: '/data',
    read_only: true,
    bind: { create_host_path: true },
  });
  assert.deepEqual(parseVolumeSpec('../up:/up', '/p/q'), {
    type: 'bind',
    source: '/p/up',
    target: '/up',
    bind: { create_host_path: true },
  });
  assert.deepEqual(parseVolumeSpec('/abs:/abs:rw,z', '/p'), {
    type: 'bind',
    source: '/abs',
    target: '/abs',
    bind: { create_host_path: true, selinux: 'z' },
  });
  assert.deepEqual(parseVolumeSpec('/abs:/abs:rshared', '/p'), {
    type: 'bind',
    source: '/abs',
    target: '/abs',
    bind: { propagation: 'rshared', create_host_path: true },
  });
  assert.deepEqual(parseVolumeSpec('named:/x', '/p'), {
    type: 'volume',
    source: 'named',
    target: '/x',
    volume: {},
  });
  assert.deepEqual(parseVolumeSpec('named:/x:nocopy', '/p'), {
    type: 'volume',
    source: 'named',
    target: '/x',
    volume: { nocopy: true },
  });
  assert.deepEqual(parseVolumeSpec('/anon', '/p'), { type: 'volume', target: '/anon', volume: {} });
  const home = process.env.HOME || homedir();
  assert.equal(parseVolumeSpec('~/cfg:/cfg', '/p').source, join(home, 'cfg'));
  assert.throws(() => parseVolumeSpec('a:b:c:d', '/p'), /invalid spec: a:b:c:d: too many colons/);
  assert.throws(() => parseVolumeSpec('./a:/a:bogus', '/p'), /unknown option: bogus/);
});

test('command strings split like a shell', () => {
  assert.deepEqual(splitShellWords('python app.py'), ['python', 'app.py']);
  assert.deepEqual(splitShellWords(`sh -c "echo \\"hi\\" && ls '/a b'"`), [
    'sh',
    '-c',
    `echo "hi" && ls '/a b'`,
  ]);
  assert.deepEqual(splitShellWords("echo 'a  b' c\\ d"), ['echo', 'a  b', 'c d']);
  assert.deepEqual(splitShellWords('  spaced   out  '), ['spaced', 'out']);
  assert.deepEqual(splitShellWords('echo ""'), ['echo', '']);
  assert.throws(() => splitShellWords('echo "open'), /invalid command line string/);
});
