// berth's iptables chains are shared by every berthd on the host: one that
// stops takes them down when no berthd has a rule left, while another may be
// starting and adding its first rules. Run in a private network namespace
// (its own, empty iptables tables), many rounds of "A stops while B starts":
// B must always end up with its chains, jumps and rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const iptablesJs = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/network/iptables.js');

const script = `
const { Firewall, networkRules } = await import(${JSON.stringify(iptablesJs)});
const { execFileSync } = await import('node:child_process');
const rules = (bridge, subnet) =>
  networkRules({ bridge, subnet, internal: false, ipMasq: true, icc: true });
const jumpPresent = (t, c, j) => {
  try { execFileSync('iptables', ['-w', '-t', t, '-C', c, '-j', j], { stdio: 'ignore' }); return true; }
  catch { return false; }
};
const failures = [];
for (let i = 0; i < 5; i++) {
  const a = new Firewall('aaaa' + i), b = new Firewall('bbbb' + i);
  await a.ensureChains();
  await a.add('net:bra', rules('bra', '10.231.1.0/24'));
  const stopA = a.remove('net:bra').then(() => a.removeChainsIfUnused());
  const startB = b.ensureChains().then(() => b.add('net:brb', rules('brb', '10.231.2.0/24')));
  const [ra, rb] = await Promise.allSettled([stopA, startB]);
  if (ra.status === 'rejected') failures.push('A: ' + ra.reason);
  if (rb.status === 'rejected') failures.push('B: ' + rb.reason);
  const have = (await b.ownedRules()).length;
  if (have !== rules('brb', '10.231.2.0/24').length) failures.push('round ' + i + ': B has ' + have + ' rules');
  if (!jumpPresent('filter', 'FORWARD', 'BERTH-FORWARD')) failures.push('round ' + i + ': FORWARD jump gone');
  if (!jumpPresent('nat', 'POSTROUTING', 'BERTH-POSTROUTING')) failures.push('round ' + i + ': POSTROUTING jump gone');
  await b.remove();
  await b.removeChainsIfUnused();
  if (jumpPresent('filter', 'FORWARD', 'BERTH-FORWARD')) failures.push('round ' + i + ': chains left after the last stop');
}
console.log(JSON.stringify(failures));
`;

test('a berthd stopping never takes the chains from one that is starting', () => {
  const r = spawnSync('unshare', ['--net', process.execPath, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), []);
});
