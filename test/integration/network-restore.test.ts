// Live restore of networking: after berthd is killed with SIGKILL and started
// again, a running container's published port and the embedded DNS still
// answer; the state of containers that died meanwhile is cleaned up; and
// removing the network afterwards leaves no bridge or rule behind.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string =>
  `${p}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const iptablesSave = (): string => spawnSync('iptables-save', { encoding: 'utf8' }).stdout;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '0.0.0.0', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('networking survives a berthd crash', () => {
  let d: TestDaemon;
  const netName = uniq('grs');
  const ok = (args: string[]): string => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    if (!d) return;
    const ids = d.docker(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.docker(['rm', '-f', ...ids]);
    d.docker(['network', 'rm', netName]);
    await d.stop();
  });

  it('keeps published ports and DNS after kill -9 and restart; network rm leaves nothing', async () => {
    const tag = ok(['info', '-f', '{{.ID}}']).replace(/-/g, '').slice(0, 8);
    ok(['network', 'create', netName]);
    const bridge = `br-${ok(['network', 'inspect', '-f', '{{.Id}}', netName]).slice(0, 12)}`;
    const port = await freePort();
    const web = uniq('web');
    ok([
      'run',
      '-d',
      '--name',
      web,
      '--network',
      netName,
      '-p',
      `${port}:80`,
      'busybox',
      'sh',
      '-c',
      'mkdir /w && echo up > /w/index.html && exec httpd -f -p 80 -h /w',
    ]);
    const client = uniq('cli');
    ok(['run', '-d', '--name', client, '--network', netName, 'busybox', 'sleep', '300']);
    const doomed = uniq('doomed');
    ok([
      'run',
      '-d',
      '--name',
      doomed,
      '--network',
      netName,
      '-p',
      '127.0.0.1::80',
      'busybox',
      'sleep',
      '300',
    ]);
    const doomedId = ok(['inspect', '-f', '{{.Id}}', doomed]);
    const doomedPid = Number(ok(['inspect', '-f', '{{.State.Pid}}', doomed]));

    await d.kill('SIGKILL');
    // While berthd is down a container dies: its endpoint and rules must go at start-up.
    process.kill(doomedPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await d.restart();

    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    assert.equal((await res.text()).trim(), 'up');
    assert.equal(ok(['exec', client, 'wget', '-qO-', `http://${web}/`]), 'up');
    assert.ok(
      !iptablesSave().includes(`ctr:${doomedId.slice(0, 12)}`),
      'rules of the dead container removed',
    );
    assert.ok(!existsSync(`${d.execRoot}/netns/${doomedId}`), 'namespace file of the dead container removed');
    assert.equal(ok(['inspect', '-f', '{{.State.Running}}', doomed]), 'false');

    ok(['rm', '-f', web, client, doomed]);
    ok(['network', 'rm', netName]);
    assert.ok(!existsSync(`/sys/class/net/${bridge}`), 'bridge removed');
    const left = iptablesSave()
      .split('\n')
      .filter((l) => l.includes(`berth:${tag}:`) && !l.includes(':net:berth'));
    assert.deepEqual(left, [], 'only the default bridge rules remain');
  });

  it('a restarted berthd does not share a default bridge another berthd took meanwhile', async () => {
    const bridgeOf = (t: TestDaemon): { name: string; subnet: string } => {
      const r = t.docker([
        'network',
        'inspect',
        '-f',
        '{{index .Options "com.docker.network.bridge.name"}} {{(index .IPAM.Config 0).Subnet}}',
        'bridge',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const [name, subnet] = r.stdout.trim().split(' ');
      return { name, subnet };
    };
    const ids = d.docker(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.docker(['rm', '-f', ...ids]);
    const before = bridgeOf(d);
    await d.kill('SIGTERM'); // clean stop, nothing running: the bridge goes
    assert.ok(!existsSync(`/sys/class/net/${before.name}`));
    const other = await startDaemon();
    try {
      const theirs = bridgeOf(other);
      await d.restart();
      const mine = bridgeOf(d);
      assert.notEqual(mine.name, theirs.name);
      assert.notEqual(
        mine.subnet.split('.').slice(0, 3).join('.'),
        theirs.subnet.split('.').slice(0, 3).join('.'),
      );
      const out = d.docker(['run', '--rm', 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, new RegExp(mine.subnet.split('.').slice(0, 2).join('\\.')));
    } finally {
      await other.stop();
    }
  });
});
