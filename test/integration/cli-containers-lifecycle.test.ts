// Life-cycle commands through the berth CLI, each checked by its effect on
// the daemon (state, config, exit codes) and against the docker CLI's output.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string => `${p}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;

describe('berth container life-cycle commands', () => {
  let d: TestDaemon;

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    if (!d) return;
    const ids = d.berth(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.berth(['rm', '-f', ...ids]);
    await d.stop();
  });

  const state = (name: string): string => d.berth(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim();

  it('pause, unpause, kill, restart and rename change the container as docker would', () => {
    const name = uniq('lc');
    assert.equal(d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300']).code, 0);
    assert.equal(d.berth(['pause', name]).stdout, `${name}\n`);
    assert.equal(state(name), 'paused');
    assert.match(d.berth(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout, /\(Paused\)\n$/);
    assert.equal(d.berth(['unpause', name]).stdout, `${name}\n`);
    assert.equal(state(name), 'running');

    const renamed = uniq('renamed');
    const r = d.berth(['rename', name, renamed]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(d.berth(['inspect', '-f', '{{.Name}}', renamed]).stdout, `/${renamed}\n`);

    const k = d.berth(['kill', '-s', 'KILL', renamed]);
    assert.equal(k.stdout, `${renamed}\n`);
    assert.equal(d.berth(['wait', renamed]).stdout, '137\n');
    assert.equal(state(renamed), 'exited');

    const rs = d.berth(['restart', '-t', '0', renamed]);
    assert.equal(rs.code, 0, rs.stderr);
    assert.equal(state(renamed), 'running');
    assert.equal(d.berth(['rm', '-f', renamed]).code, 0);
  });

  it('many targets: successes printed, failures after them, exit 1 — like docker', () => {
    const name = uniq('multi');
    assert.equal(d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300']).code, 0);
    const ours = d.berth(['stop', '-t', '0', 'no-such-ctr', name]);
    assert.equal(ours.code, 1);
    assert.equal(ours.stdout, `${name}\n`);
    assert.equal(ours.stderr, 'Error response from daemon: No such container: no-such-ctr\n');
    const theirs = d.docker(['start', 'no-such-ctr', name]);
    const ours2 = d.berth(['start', 'no-such-ctr', name]);
    assert.equal(ours2.code, theirs.code);
    assert.equal(ours2.stdout, theirs.stdout);
    assert.equal(ours2.stderr, theirs.stderr);
    assert.equal(d.berth(['rm', '-f', name]).code, 0);
  });

  it('update changes limits and restart policy', () => {
    const name = uniq('upd');
    assert.equal(d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300']).code, 0);
    const u = d.berth(['update', '--memory', '64m', '--memory-swap', '128m', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:3', name]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout, `${name}\n`);
    const f = '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}';
    assert.equal(d.berth(['inspect', '-f', f, name]).stdout, `${64 * 1024 * 1024} 500000000 50 on-failure:3\n`);
    assert.equal(d.berth(['update', name]).code, 1, 'no flags is an error');
    assert.equal(d.berth(['rm', '-f', name]).code, 0);
  });

  it('top shows the container processes with ps options; container prune removes stopped ones', () => {
    const name = uniq('top');
    assert.equal(d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300']).code, 0);
    const t = d.berth(['top', name, '-o', 'pid,comm']);
    assert.equal(t.code, 0, t.stderr);
    assert.equal(t.stdout, d.docker(['top', name, '-o', 'pid,comm']).stdout);
    assert.match(t.stdout, /^PID {17}COMMAND\n\d+ +sleep\n$/);
    assert.equal(d.berth(['rm', '-f', name]).code, 0);

    const dead = uniq('dead');
    assert.equal(d.berth(['run', '--name', dead, 'busybox', 'true']).code, 0);
    const id = d.berth(['inspect', '-f', '{{.Id}}', dead]).stdout.trim();
    const p = d.berth(['container', 'prune', '-f']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, new RegExp(`^Deleted Containers:\\n(?:[0-9a-f]{64}\\n)*${id}\\n`));
    assert.match(p.stdout, /\nTotal reclaimed space: \S+\n$/);
    assert.equal(d.berth(['inspect', dead]).code, 1);
  });
});
