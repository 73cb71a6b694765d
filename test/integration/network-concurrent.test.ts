// Several berthds starting at the same moment (the test suite does this all
// the time) must each come up with a working default bridge: their own bridge
// name, their own subnet, and a container on it that gets an address and
// reaches its gateway. One more berthd stops while they start, which takes
// berth's shared iptables chains down if it believes nobody else uses them.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const COUNT = 4;

describe('berthds starting together', () => {
  const daemons: TestDaemon[] = [];
  let leaving: TestDaemon | undefined;
  let left: Promise<void> | undefined;
  after(async () => {
    await Promise.allSettled([left ?? leaving?.stop(), ...daemons.map((d) => d.stop())]);
  });

  it('each gets a working default bridge of its own', async () => {
    leaving = await startDaemon();
    left = leaving.stop();
    const started = await Promise.allSettled(Array.from({ length: COUNT }, () => startDaemon()));
    for (const r of started) if (r.status === 'fulfilled') daemons.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    await left;
    const fresh = daemons;

    const seen = { bridges: new Set<string>(), subnets: new Set<string>() };
    await Promise.all(fresh.map((d) => ensureBusybox(d)));
    for (const d of fresh) {
      assert.doesNotMatch(d.log(), /network set-up failed/, d.log());
      const r = d.docker([
        'network',
        'inspect',
        'bridge',
        '-f',
        '{{index .Options "com.docker.network.bridge.name"}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}',
      ]);
      assert.equal(r.code, 0, r.stderr + d.log());
      const [bridge, subnet, gateway] = r.stdout.trim().split(' ');
      seen.bridges.add(bridge);
      seen.subnets.add(subnet);
      const run = d.docker([
        'run',
        '--rm',
        'busybox',
        'sh',
        '-c',
        `ip -4 -o addr show eth0 && ping -c 1 -W 3 ${gateway} >/dev/null && echo reached`,
      ]);
      assert.equal(run.code, 0, `run on ${bridge}: ${run.stderr}\n${d.log()}`);
      const prefix = gateway.split('.').slice(0, 2).join('.');
      assert.match(run.stdout, new RegExp(`inet ${prefix.replace(/\./g, '\\.')}\\.`));
      assert.match(run.stdout, /reached/);
    }
    assert.equal(seen.bridges.size, COUNT, `bridges shared: ${[...seen.bridges].join(' ')}`);
    assert.equal(seen.subnets.size, COUNT, `subnets shared: ${[...seen.subnets].join(' ')}`);
  });
});
