// `berth network …` prints what `docker network …` prints against the same
// daemon: ls (table, filters, --format, -q), inspect, create/rm/prune texts
// and errors, connect/disconnect.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string =>
  `${p}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe('berth network CLI matches docker', () => {
  let d: TestDaemon;
  const n1 = uniq('gcl');
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    if (!d) return;
    const ids = d.docker(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.docker(['rm', '-f', ...ids]);
    d.docker(['network', 'rm', n1]);
    await d.stop();
  });

  const same = (args: string[]): string => {
    const a = d.docker(args);
    const b = d.berth(args);
    assert.equal(b.stdout, a.stdout, `stdout of ${args.join(' ')}`);
    assert.equal(b.stderr.replace(/berth/g, 'docker'), a.stderr, `stderr of ${args.join(' ')}`);
    assert.equal(b.code, a.code, `exit code of ${args.join(' ')}`);
    return a.stdout;
  };

  it('create prints the id; ls, inspect and filters print the same', () => {
    const r = d.berth(['network', 'create', '--label', 'k=v', '--subnet', '10.124.9.0/24', n1]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
    same(['network', 'ls']);
    same(['network', 'ls', '-q']);
    same(['network', 'ls', '--no-trunc', '--filter', 'label=k=v']);
    same(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Internal}} {{.Labels}}']);
    same(['network', 'ls', '--format', 'json']);
    same(['network', 'inspect', n1]);
    same(['network', 'inspect', '-f', '{{.Name}} {{range .IPAM.Config}}{{.Subnet}}{{end}}', n1, 'bridge']);
    same(['network', 'inspect', 'nosuchnet']);
    same(['network', 'create', n1]);
    same(['network', 'rm', 'nosuchnet']);
  });

  it('connect and disconnect through berth change what docker sees', () => {
    const c = uniq('c');
    assert.equal(d.docker(['run', '-d', '--name', c, 'busybox', 'sleep', '60']).code, 0);
    const r = d.berth(['network', 'connect', '--alias', 'al', '--ip', '10.124.9.77', n1, c]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${n1}").IPAddress}}`, c]).stdout.trim(),
      '10.124.9.77',
    );
    assert.equal(
      d.docker(['exec', c, 'ip', '-4', '-o', 'addr', 'show', 'eth1']).stdout.includes('10.124.9.77/24'),
      true,
    );
    same(['network', 'connect', n1, c]);
    assert.equal(d.berth(['network', 'disconnect', n1, c]).code, 0);
    same(['network', 'disconnect', n1, c]);
    d.docker(['rm', '-f', c]);
    const rm = d.berth(['network', 'rm', n1]);
    assert.equal(rm.stdout, `${n1}\n`);
    assert.equal(d.berth(['network', 'rm', '-f', n1]).code, 0);
  });
});
