// Choosing the OCI runtime: the probe really runs a container, crun is
// refused where it cannot work (this machine's cgroup v1+v2 hybrid layout).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgument } from '../../src/api/errors.js';
import { chooseRuntime, findBinary, isCgroupHybrid, probeRuntime } from '../../src/runtime/probe.js';

describe('runtime: choosing runc or crun', () => {
  it('probes runc successfully and picks a working default', () => {
    const runc = findBinary('runc');
    assert.ok(runc, 'runc is installed');
    assert.equal(probeRuntime(runc), true);
    const chosen = chooseRuntime();
    assert.ok(['runc', 'crun'].includes(chosen.name));
    assert.equal(probeRuntime(chosen.path), true);
  });

  it(
    'does not auto-pick crun where the probe fails',
    { skip: !findBinary('crun') && 'crun not installed' },
    () => {
      const crun = findBinary('crun')!;
      if (isCgroupHybrid()) {
        assert.equal(probeRuntime(crun), false);
        assert.equal(chooseRuntime().name, 'runc');
      }
      assert.deepEqual(chooseRuntime('crun'), { name: 'crun', path: crun });
    },
  );

  it('resolves names from daemon.json runtimes and rejects unknown ones like Docker', () => {
    const runc = findBinary('runc')!;
    assert.deepEqual(chooseRuntime('mine', { mine: { path: runc } }), { name: 'mine', path: runc });
    assert.throws(
      () => chooseRuntime('nope'),
      (e: Error) => e instanceof InvalidArgument && e.message === 'unknown or invalid runtime name: nope',
    );
  });
});
