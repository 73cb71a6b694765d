// A running container connected to one more network gets that address with
// its hostname in /etc/hosts (and loses it on disconnect), and is reachable
// there by its alias; `--link target:alias` on a user network is a name only
// the linking container resolves (dockerd 20.10 behaves so: compared by hand).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string =>
  `${p}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe('network connect and --link on user networks', () => {
  let d: TestDaemon;
  const net1 = uniq('hn1');
  const net2 = uniq('hn2');
  const c1 = uniq('hc1');
  const c2 = uniq('hc2');
  const ok = (args: string[]): string => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const ipOn = (c: string, net: string): string =>
    ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, c]).trim();

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    ok(['network', 'create', net1]);
    ok(['network', 'create', net2]);
    ok(['run', '-d', '--name', c1, '--hostname', 'web1', '--network', net1, 'busybox', 'sleep', '300']);
    ok(['run', '-d', '--name', c2, '--network', net2, 'busybox', 'sleep', '300']);
  });
  after(async () => {
    if (!d) return;
    d.docker(['rm', '-f', c1, c2]);
    d.docker(['network', 'rm', net1, net2]);
    await d.stop();
  });

  test('connect adds "<ip>\\tweb1" to /etc/hosts and the alias resolves; disconnect removes the line', () => {
    const ip1 = ipOn(c1, net1);
    assert.match(ok(['exec', c1, 'cat', '/etc/hosts']), new RegExp(`^${ip1}\\tweb1$`, 'm'));
    ok(['network', 'connect', '--alias', 'al1', net2, c1]);
    const ip2 = ipOn(c1, net2);
    const hosts = ok(['exec', c1, 'cat', '/etc/hosts']);
    assert.match(hosts, new RegExp(`^${ip1}\\tweb1\\n${ip2}\\tweb1\\n$`, 'm'), hosts);
    assert.match(ok(['exec', c2, 'ping', '-c', '1', '-W', '3', 'al1']), new RegExp(`\\(${ip2}\\)`));
    ok(['network', 'disconnect', net2, c1]);
    const after = ok(['exec', c1, 'cat', '/etc/hosts']);
    assert.doesNotMatch(after, new RegExp(`^${ip2}\\t`, 'm'), after);
    assert.match(after, new RegExp(`^${ip1}\\tweb1$`, 'm'));
  });

  test('--link target:alias resolves in the linking container only', () => {
    const ip1 = ipOn(c1, net1);
    const linked = d.docker([
      'run',
      '--rm',
      '--network',
      net1,
      '--link',
      `${c1}:dbalias`,
      'busybox',
      'ping',
      '-c',
      '1',
      '-W',
      '3',
      'dbalias',
    ]);
    assert.equal(linked.code, 0, linked.stdout + linked.stderr);
    assert.match(linked.stdout, new RegExp(`\\(${ip1}\\)`));
    const other = d.docker([
      'run',
      '--rm',
      '--network',
      net1,
      'busybox',
      'ping',
      '-c',
      '1',
      '-W',
      '3',
      'dbalias',
    ]);
    assert.notEqual(other.code, 0);
    assert.match(other.stdout + other.stderr, /bad address 'dbalias'/);
  });
});
