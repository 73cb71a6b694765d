// The berth CLI's own volume, cp, diff, export and commit commands print
// what docker's do (containers are made with the docker CLI here).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

describe('berth volume/cp/diff/export/commit', () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-vcli-'));
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const run = (cli: 'docker' | 'berth', args: string[], input?: string) => {
    const r =
      cli === 'docker'
        ? d.docker(args, input === undefined ? undefined : { input })
        : d.berth(args, input === undefined ? undefined : { input });
    assert.equal(r.code, 0, `${cli} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  it('volume create, ls, inspect, rm, prune', () => {
    assert.equal(run('berth', ['volume', 'create', '--label', 'a=b', 'bv1']), 'bv1\n');
    assert.equal(run('berth', ['volume', 'ls']), run('docker', ['volume', 'ls']));
    assert.equal(run('berth', ['volume', 'ls', '-q', '--filter', 'label=a=b']), 'bv1\n');
    assert.equal(
      run('berth', ['volume', 'inspect', '-f', '{{.Driver}} {{.Labels}}', 'bv1']),
      'local map[a:b]\n',
    );
    assert.equal(run('berth', ['volume', 'inspect', 'bv1']), run('docker', ['volume', 'inspect', 'bv1']));
    const missing = d.berth(['volume', 'rm', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error response from daemon: get nope: no such volume\n');
    assert.equal(run('berth', ['volume', 'rm', 'bv1']), 'bv1\n');
    run('berth', ['volume', 'create', 'bv2']);
    assert.equal(
      run('berth', ['volume', 'prune', '-f', '-a']),
      'Deleted Volumes:\nbv2\n\nTotal reclaimed space: 0B\n',
    );
  });

  it('cp both ways, diff, export and commit', () => {
    run('docker', ['run', '-d', '--network', 'none', '--name', 'bc', 'busybox', 'sleep', '300']);
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'f.txt'), 'berth cp\n');
    run('berth', ['cp', src, 'bc:/copied']);
    assert.equal(run('docker', ['exec', 'bc', 'cat', '/copied/f.txt']), 'berth cp\n');
    run('berth', ['cp', path.join(src, 'f.txt'), 'bc:/tmp/g.txt']);
    assert.equal(run('docker', ['exec', 'bc', 'cat', '/tmp/g.txt']), 'berth cp\n');
    run('berth', ['cp', 'bc:/copied', path.join(tmp, 'back')]);
    assert.equal(readFileSync(path.join(tmp, 'back/f.txt'), 'utf8'), 'berth cp\n');
    run('berth', ['cp', 'bc:/tmp/g.txt', path.join(tmp, 'g2')]);
    assert.equal(readFileSync(path.join(tmp, 'g2'), 'utf8'), 'berth cp\n');
    assert.equal(run('berth', ['diff', 'bc']), run('docker', ['diff', 'bc']));
    const file = path.join(tmp, 'x.tar');
    run('berth', ['export', '-o', file, 'bc']);
    assert.match(spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout, /^copied\/f\.txt$/m);
    const id = run('berth', ['commit', '-m', 'via berth', '-c', 'ENV X=1', 'bc', 'berthcommit:t']).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(
      run('docker', [
        'run',
        '--rm',
        '--network',
        'none',
        'berthcommit:t',
        'sh',
        '-c',
        'cat /copied/f.txt; echo $X',
      ]),
      'berth cp\n1\n',
    );
    run('docker', ['rm', '-f', 'bc']);
  });
});
