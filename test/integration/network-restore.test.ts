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

const uniq = (p: string): string => `${p}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
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
    ok(['run', '-d', '--name', web, '--network', netName, '-p', `${port}:80`, 'busybox', 'sh', '-c', 'mkdir /w && echo up > /w/index.html && exec httpd -f -p 80 -h /w']);
    const client = uniq('cli');
    ok(['run', '-d', '--name', client, '--network', netName, 'busybox', 'sleep', '300']);
    const doomed = uniq('doomed');
    ok(['run', '-d', '--name', doomed, '--network', netName, '-p', '127.0.0.1::80', 'busybox', 'sleep', '300']);
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
    assert.ok(!iptablesSave().includes(`ctr:${doomedId.slice(0, 12)}`), 'rules of the dead container removed');
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
});
