// Restart policies, health checks and live restore: on-failure:N counts
// restarts, a health check goes healthy then unhealthy, and after berthd is
// restarted (cleanly or by kill -9) running containers are still running,
// exits that happened meanwhile are recorded, and logs have no gap.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string => `${p}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('restart policies, health checks, live restore', () => {
  let d: TestDaemon;
  const inspect = (ref: string, fmt: string): string => d.docker(['inspect', '-f', fmt, ref]).stdout.trim();
  const until = async (what: string, fn: () => boolean, ms = 20_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!fn()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  };

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    if (!d) return;
    const ids = d.docker(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (ids.length) d.docker(['rm', '-f', ...ids]);
    await d.stop();
  });

  it('--restart=on-failure:2 restarts twice, then stays exited', async () => {
    const name = uniq('rf');
    const r = d.docker(['run', '-d', '--restart=on-failure:2', '--name', name, 'busybox', 'sh', '-c', 'echo run; exit 3']);
    assert.equal(r.code, 0, r.stderr);
    await until('two restarts', () => inspect(name, '{{.RestartCount}} {{.State.Status}}') === '2 exited');
    assert.equal(inspect(name, '{{.State.ExitCode}}'), '3');
    assert.equal(d.docker(['logs', name]).stdout, 'run\nrun\nrun\n');
  });

  it('a health check goes healthy, then unhealthy', async () => {
    const name = uniq('hc');
    const r = d.docker([
      'run', '-d', '--name', name, '--health-cmd', 'test ! -e /tmp/bad', '--health-interval', '300ms',
      '--health-retries', '2', '--health-timeout', '2s', 'busybox', 'sleep', '60',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(inspect(name, '{{.State.Health.Status}}'), 'starting');
    await until('healthy', () => inspect(name, '{{.State.Health.Status}}') === 'healthy');
    assert.match(d.docker(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout, /\(healthy\)/);
    assert.equal(d.docker(['ps', '-q', '--filter', 'health=healthy', '--filter', `name=${name}`]).stdout.length > 0, true);
    d.docker(['exec', name, 'touch', '/tmp/bad']);
    await until('unhealthy', () => inspect(name, '{{.State.Health.Status}}') === 'unhealthy');
    const streak = Number(inspect(name, '{{.State.Health.FailingStreak}}'));
    assert.ok(streak >= 2);
    const log = JSON.parse(inspect(name, '{{json .State.Health.Log}}')) as { ExitCode: number }[];
    assert.ok(log.length <= 5 && log.length > 0);
    assert.equal(log[log.length - 1].ExitCode, 1);
    const ev = d.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--filter', 'event=health_status', '--format', '{{.Action}}']);
    assert.match(ev.stdout, /health_status: healthy\nhealth_status: unhealthy/);
    // Each probe is an exec, with dockerd's events: "exec_create: /bin/sh -c <cmd>", exec_start, exec_die.
    const execs = d.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', `container=${name}`, '--format', '{{.Action}} {{index .Actor.Attributes "exitCode"}}']);
    assert.match(execs.stdout, /^exec_create: \/bin\/sh -c test ! -e \/tmp\/bad $/m);
    assert.match(execs.stdout, /^exec_start: \/bin\/sh -c test ! -e \/tmp\/bad $/m);
    assert.match(execs.stdout, /^exec_die 0$/m);
    assert.match(execs.stdout, /^exec_die 1$/m);
  });

  it('logs survive a daemon restart; a running container keeps running', async () => {
    const name = uniq('lr');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'i=0; while true; do echo t$i; i=$((i+1)); sleep 0.2; done']);
    await sleep(700);
    const pid = inspect(name, '{{.State.Pid}}');
    await d.restart();
    assert.equal(inspect(name, '{{.State.Running}} {{.State.Pid}}'), `true ${pid}`);
    await sleep(500);
    const lines = d.docker(['logs', name]).stdout.trim().split('\n');
    assert.ok(lines.length >= 5, lines.join(','));
    lines.forEach((l, i) => assert.equal(l, `t${i}`, 'gap in logs'));
    assert.equal(d.docker(['stop', '-t', '1', name]).code, 0);
  });

  it('live restore after kill -9: running stays running, exits are recorded, restart policies apply', async () => {
    const run = uniq('alive');
    const dies = uniq('dies');
    const always = uniq('always');
    d.docker(['run', '-d', '--name', run, 'busybox', 'sleep', '120']);
    d.docker(['run', '-d', '--name', dies, 'busybox', 'sh', '-c', 'sleep 1; exit 6']);
    d.docker(['run', '-d', '--name', always, '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 1; exit 1']);
    const pid = inspect(run, '{{.State.Pid}}');
    const before = Number(inspect(always, '{{.RestartCount}}'));
    await d.kill('SIGKILL');
    await sleep(2000); // `dies` and `always` exit while berthd is down
    await d.restart();
    assert.equal(inspect(run, '{{.State.Status}} {{.State.Pid}}'), `running ${pid}`);
    assert.equal(inspect(dies, '{{.State.Status}} {{.State.ExitCode}}'), 'exited 6');
    assert.notEqual(inspect(dies, '{{.State.FinishedAt}}'), '0001-01-01T00:00:00Z');
    await until('always restarted', () => Number(inspect(always, '{{.RestartCount}}')) > before);
    // The adopted container is still ours: exec, stop and its exit code work.
    assert.equal(d.docker(['exec', run, 'echo', 'ok']).stdout, 'ok\n');
    assert.equal(d.docker(['stop', '-t', '1', run]).code, 0);
    assert.equal(inspect(run, '{{.State.Status}}'), 'exited');
    d.docker(['rm', '-f', always]);
  });
});
