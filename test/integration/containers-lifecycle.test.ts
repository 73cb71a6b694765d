// Container lifecycle through the real docker CLI: run/create/start/stop/
// restart/kill/pause/unpause/rm/rename/wait/update, exit codes, stop
// timeouts, and the errors Docker gives (409 name conflict, 404 image,
// 127/126 start failures, bad user), with nothing half-created left behind.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string => `${p}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;

describe('container lifecycle (docker CLI)', () => {
  let d: TestDaemon;
  const inspect = (ref: string, fmt: string): string => {
    const r = d.docker(['inspect', '-f', fmt, ref]);
    assert.equal(r.code, 0, r.stderr);
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
    await d.stop();
  });

  it('propagates the exit code and keeps stdout and stderr apart', () => {
    const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('--rm removes the container after it exits', () => {
    const name = uniq('rm');
    const r = d.docker(['run', '--rm', '--name', name, 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(d.docker(['ps', '-a', '-q', '--filter', `name=${name}`]).stdout, '');
  });

  it('create, start, wait and the container files', async () => {
    const name = uniq('cw');
    const c = d.docker(['create', '--name', name, '--hostname', 'myhost', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname; exit 5']);
    assert.equal(c.code, 0, c.stderr);
    const id = c.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(inspect(name, '{{.State.Status}}'), 'created');
    assert.equal(d.docker(['start', name]).code, 0);
    assert.equal(d.docker(['wait', name]).stdout.trim(), '5');
    assert.equal(d.docker(['logs', name]).stdout, 'myhost\nmyhost\n');
    assert.equal(inspect(name, '{{.State.Status}} {{.State.ExitCode}} {{.Name}}'), `exited 5 /${name}`);
    const dir = path.join(d.dataRoot, 'containers', id);
    assert.ok(existsSync(path.join(dir, 'hosts')));
    // The rootfs is unmounted once the process has exited.
    const mounts = (await import('node:fs')).readFileSync('/proc/self/mounts', 'utf8');
    assert.ok(!mounts.includes(path.join(dir, 'merged')), 'rootfs still mounted after exit');
  });

  it('default hostname is the short id, /etc/hosts has localhost', () => {
    const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'hostname; grep -c localhost /etc/hosts; cat /etc/resolv.conf']);
    assert.equal(r.code, 0, r.stderr);
    const [host, n] = r.stdout.split('\n');
    assert.match(host, /^[0-9a-f]{12}$/);
    assert.ok(Number(n) >= 1);
    assert.match(r.stdout, /nameserver /);
    assert.doesNotMatch(r.stdout, /nameserver 127\./);
  });

  it('stop sends SIGTERM; a container that ignores it is killed after -t', () => {
    const name = uniq('ign');
    assert.equal(d.docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']).code, 0);
    const t0 = Date.now();
    const s = d.docker(['stop', '-t', '2', name]);
    const took = Date.now() - t0;
    assert.equal(s.code, 0, s.stderr);
    assert.ok(took >= 1900 && took < 9000, `stop took ${took} ms`);
    assert.equal(inspect(name, '{{.State.ExitCode}}'), '137');
  });

  it('stop -s uses the given signal, the trap exit code is kept', () => {
    const name = uniq('sig');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'trap "exit 12" USR1; while true; do sleep 0.1; done']);
    assert.equal(d.docker(['stop', '-s', 'USR1', '-t', '5', name]).code, 0);
    assert.equal(inspect(name, '{{.State.ExitCode}} {{.State.Running}}'), '12 false');
  });

  it('kill -s delivers a signal; kill of a stopped container is 409', () => {
    const name = uniq('kill');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'trap "exit 9" HUP; while true; do sleep 0.1; done']);
    assert.equal(d.docker(['kill', '-s', 'HUP', name]).code, 0);
    assert.equal(d.docker(['wait', name]).stdout.trim(), '9');
    const again = d.docker(['kill', name]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not running/);
  });

  it('pause and unpause', () => {
    const name = uniq('pause');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    assert.equal(d.docker(['pause', name]).code, 0);
    assert.equal(inspect(name, '{{.State.Status}} {{.State.Paused}}'), 'paused true');
    const again = d.docker(['pause', name]);
    assert.match(again.stderr, /is already paused/);
    assert.equal(d.docker(['unpause', name]).code, 0);
    assert.equal(inspect(name, '{{.State.Status}} {{.State.Paused}}'), 'running false');
    assert.match(d.docker(['unpause', name]).stderr, /is not paused/);
    assert.equal(d.docker(['rm', '-f', name]).code, 0);
  });

  it('restart gives a new process; start of a running container is a no-op (304)', async () => {
    const name = uniq('rs');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    const pid1 = inspect(name, '{{.State.Pid}}');
    const res = await d.client.open('POST', `/containers/${name}/start`);
    res.resume();
    assert.equal(res.statusCode, 304);
    assert.equal(d.docker(['restart', '-t', '0', name]).code, 0);
    const pid2 = inspect(name, '{{.State.Pid}}');
    assert.notEqual(pid1, pid2);
    assert.equal(inspect(name, '{{.State.Running}}'), 'true');
    d.docker(['rm', '-f', name]);
  });

  it('rm refuses a running container, rm -f kills it', () => {
    const name = uniq('rmf');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    const r = d.docker(['rm', name]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot remove container "/${name}": container is running`));
    assert.equal(d.docker(['rm', '-f', '-v', name]).code, 0);
    assert.equal(d.docker(['inspect', name]).code, 1);
  });

  it('rename and the 409 name conflict with Docker\'s text', () => {
    const a = uniq('ra');
    const b = uniq('rb');
    const idA = d.docker(['create', '--name', a, 'busybox', 'true']).stdout.trim();
    d.docker(['create', '--name', b, 'busybox', 'true']);
    const clash = d.docker(['rename', b, a]);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, new RegExp(`Conflict\\. The container name "/${a}" is already in use by container "${idA}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`));
    const c = d.docker(['create', '--name', a, 'busybox', 'true']);
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /is already in use by container/);
    const n = uniq('rn');
    assert.equal(d.docker(['rename', a, n]).code, 0);
    assert.equal(inspect(idA, '{{.Name}}'), `/${n}`);
  });

  it('update changes resources and the restart policy', () => {
    const name = uniq('upd');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    const u = d.docker(['update', '--memory', '64m', '--restart', 'on-failure:3', name]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(inspect(name, '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}'), '67108864 on-failure 3');
    d.docker(['rm', '-f', name]);
  });

  it('missing command: 127 and Docker\'s message; not executable: 126', () => {
    const r = d.docker(['run', '--name', uniq('nf'), 'busybox', 'no-such-cmd']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /exec: "no-such-cmd": executable file not found in \$PATH/);
    const x = d.docker(['run', '--rm', 'busybox', '/etc/passwd']);
    assert.equal(x.code, 126, x.stderr);
  });

  it('unknown image: 404 and no container; unknown user: error and no container', async () => {
    const before = d.docker(['ps', '-a', '-q']).stdout;
    const res = await d.client.open('POST', '/containers/create', { body: { Image: 'no-such-image-xyz' } });
    const body = JSON.parse((await (await import('../../src/client/client.js')).readAll(res)).toString());
    assert.equal(res.statusCode, 404);
    assert.match(body.message, /No such image: no-such-image-xyz/);
    const u = d.docker(['run', '--user', 'nosuchuser', 'busybox', 'true']);
    assert.equal(u.code, 125);
    assert.match(u.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);
    assert.equal(d.docker(['ps', '-a', '-q']).stdout, before);
    const ok = d.docker(['run', '--rm', '--user', 'user', 'busybox', 'id', '-u']);
    assert.equal(ok.stdout, '1000\n', ok.stderr);
  });

  it('wait --condition via the API: next-exit and removed', async () => {
    const name = uniq('wt');
    d.docker(['create', '--name', name, '--rm', 'busybox', 'sh', '-c', 'exit 4']);
    const waitRemoved = d.client.json('POST', `/containers/${name}/wait`, { query: { condition: 'removed' } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(d.docker(['start', name]).code, 0);
    const w = await waitRemoved;
    assert.equal(w.StatusCode, 4);
    assert.equal(d.docker(['inspect', name]).code, 1);
  });
});
