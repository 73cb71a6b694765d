// The runc + conmon driver against real runc and conmon, on a busybox rootfs
// mounted through our overlay helper.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OciRuntime } from '../../src/runtime/oci.js';
import { mountOverlay, unmount, isMountPoint } from '../../src/runtime/rootfs.js';
import { forceCleanup, makeBusyboxLayer, readUntil, runSpec, tempDir, uniqueId } from './runtime-helpers.js';

describe('runtime: conmon + runc', () => {
  let dir: string;
  let layer: string;
  let rt: OciRuntime;
  const ids: string[] = [];
  const mounts: string[] = [];

  before(() => {
    dir = tempDir('brt-');
    layer = makeBusyboxLayer(path.join(dir, 'layer'));
    rt = new OciRuntime({ execRoot: path.join(dir, 'exec') });
  });

  after(async () => {
    for (const id of ids) await rt.delete(id).catch(() => undefined);
    for (const m of mounts) await unmount(m).catch(() => undefined);
    rt.close();
    forceCleanup(rt.root, ids, mounts, [dir]);
  });

  /** A fresh container rootfs: overlay of the busybox layer + its own upper dir. */
  async function rootfs(id: string): Promise<string> {
    const c = path.join(dir, 'c', id.slice(0, 12));
    const merged = path.join(c, 'merged');
    await mountOverlay([layer], path.join(c, 'upper'), path.join(c, 'work'), merged);
    mounts.push(merged);
    return merged;
  }

  async function container(over: Parameters<typeof runSpec>[3] = {}) {
    const id = uniqueId();
    ids.push(id);
    const fs = await rootfs(id);
    const logPath = path.join(dir, 'logs', `${id}.log`);
    const spec = runSpec(id, fs, logPath, over);
    const { pid } = await rt.create(spec);
    return { id, pid, logPath, rootfs: fs };
  }

  it('runs sh -c "exit 3" and reports exit code 3', async () => {
    const c = await container({ args: ['sh', '-c', 'exit 3'] });
    assert.ok(c.pid > 0);
    assert.equal((await rt.state(c.id))?.status, 'created');
    assert.ok(isMountPoint(c.rootfs), 'overlay is mounted');
    await rt.start(c.id);
    const exit = await rt.waitExit(c.id);
    assert.equal(exit.exitCode, 3);
    await assert.rejects(rt.attach(c.id, { stdin: false }), /is not running/);
    assert.match(exit.finishedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.deepEqual(await rt.recordedExit(c.id), exit);
  });

  it('keeps stdout and stderr apart in the k8s-file log', async () => {
    const c = await container({ args: ['sh', '-c', 'echo out-line; echo err-line >&2; printf partial'] });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    const lines = readFileSync(c.logPath, 'utf8').trim().split('\n');
    assert.ok(
      lines.some((l) => / stdout F out-line$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => / stderr F err-line$/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => / stdout P partial$/.test(l)),
      lines.join('\n'),
    );
  });

  it('round-trips a TTY session through the attach socket and resizes it', async () => {
    const c = await container({ args: ['sh'], tty: true, openStdin: true });
    await rt.start(c.id);
    const a = await rt.attach(c.id, { stdin: true });
    a.stdin!.write('echo h""i-there\n');
    await readUntil(a.stdout, (s) => s.includes('hi-there'));
    await rt.resize(c.id, 33, 101);
    a.stdin!.write('stty size\n');
    await readUntil(a.stdout, (s) => s.includes('33 101'));
    a.stdin!.write('exit 7\n');
    assert.equal((await rt.waitExit(c.id)).exitCode, 7);
    a.close();
  });

  it('pipes stdin to a non-TTY container and closes it on end', async () => {
    const c = await container({ args: ['sh', '-c', 'cat; echo done >&2'], openStdin: true });
    await rt.start(c.id);
    const a = await rt.attach(c.id, { stdin: true });
    const out = readUntil(a.stdout, (s) => s.includes('ping'));
    const err = readUntil(a.stderr!, (s) => s.includes('done'));
    a.stdin!.end('ping\n');
    assert.equal(await out, 'ping\n');
    assert.equal(await err, 'done\n');
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
  });

  it('keeps stdin open across attach sessions when stdinOnce is false', async () => {
    const c = await container({ args: ['cat'], openStdin: true, stdinOnce: false });
    await rt.start(c.id);
    const a1 = await rt.attach(c.id, { stdin: true });
    a1.stdin!.write('one\n');
    await readUntil(a1.stdout, (s) => s.includes('one'));
    a1.stdin!.end();
    a1.close();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await rt.state(c.id))?.status, 'running');
    const a2 = await rt.attach(c.id, { stdin: true });
    a2.stdin!.write('two\n');
    await readUntil(a2.stdout, (s) => s.includes('two'));
    a2.close();
    await rt.kill(c.id, 'KILL');
    assert.equal((await rt.waitExit(c.id)).exitCode, 137);
  });

  it('execs with an exit code, separate streams, and a resizable TTY', async () => {
    const c = await container({ args: ['sleep', '30'] });
    await rt.start(c.id);
    const p = await rt.exec(c.id, {
      args: ['sh', '-c', 'echo o; echo e >&2; exit 5'],
      env: [],
      tty: false,
      privileged: false,
      attachStdin: false,
    });
    const out = readUntil(p.stdout, (s) => s.includes('o\n'));
    const err = readUntil(p.stderr!, (s) => s.includes('e\n'));
    assert.equal(await p.exited, 5);
    assert.equal(await out, 'o\n');
    assert.equal(await err, 'e\n');

    const t = await rt.exec(c.id, { args: ['sh'], env: [], tty: true, privileged: false, attachStdin: true });
    t.resize(21, 77);
    await new Promise((r) => setTimeout(r, 100));
    t.stdin!.write('stty size; exit 4\n');
    await readUntil(t.stdout, (s) => s.includes('21 77'));
    assert.equal(await t.exited, 4);

    await assert.rejects(
      rt.exec(c.id, { args: ['no-such-binary'], env: [], tty: false, privileged: false, attachStdin: false }),
      /executable file not found/,
    );
    await rt.kill(c.id, 'SIGKILL');
    assert.equal((await rt.waitExit(c.id)).exitCode, 137);
    await rt.delete(c.id);
    const sessions = readdirSync(path.join(dir, 'exec', 'x')).filter((d) => d.startsWith(c.id.slice(0, 12)));
    assert.deepEqual(sessions, []);
  });

  it('applies the memory limit and counts pids in the cgroup', async () => {
    const c = await container({
      args: ['sh', '-c', 'sleep 30 & sleep 30 & wait'],
      resources: { memory: 64 * 1024 * 1024, pidsLimit: 50 },
    });
    await rt.start(c.id);
    await new Promise((r) => setTimeout(r, 200));
    const stats = await rt.stats(c.id);
    assert.equal(stats.memory.limit, 64 * 1024 * 1024);
    assert.equal(stats.pids.current, 3);
    assert.equal(stats.pids.limit, 50);
    assert.ok(stats.cpu.total > 0);
    assert.ok(stats.cpu.system > 0);
    assert.equal((await rt.pids(c.id)).length, 3);
    const limitFile = `/sys/fs/cgroup/memory/berth/${c.id}/memory.limit_in_bytes`;
    if (existsSync('/sys/fs/cgroup/memory/berth'))
      assert.equal(readFileSync(limitFile, 'utf8').trim(), String(64 * 1024 * 1024));
    await rt.update(c.id, { memory: 256 * 1024 * 1024 });
    assert.equal((await rt.stats(c.id)).memory.limit, 256 * 1024 * 1024);
    await rt.kill(c.id, 'TERM');
    await rt.kill(c.id, 'KILL').catch(() => undefined);
    await rt.waitExit(c.id);
    await rt.delete(c.id);
    assert.equal(existsSync(`/sys/fs/cgroup/memory/berth/${c.id}`), false, 'cgroup removed');
    assert.equal(existsSync(path.join(rt.root, c.id)), false, 'runc state removed');
    assert.equal(existsSync(rt.bundleDir(c.id)), false, 'bundle removed');
    assert.equal(await rt.state(c.id), null);
    await unmount(c.rootfs);
    assert.equal(isMountPoint(c.rootfs), false, 'rootfs unmounted');
  });

  it('reports an unknown user the way Docker does', async () => {
    await assert.rejects(
      container({ user: 'nosuchuser' }),
      /unable to find user nosuchuser: no matching entries in passwd file/,
    );
  });

  it('runs as a named user with its supplementary groups, under --init', async () => {
    const c = await container({
      args: ['sh', '-c', 'id; echo pid1=$(cat /proc/1/comm)'],
      user: 'app',
      init: true,
    });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    const log = readFileSync(c.logPath, 'utf8');
    assert.match(log, /uid=1000\(app\) gid=1000\(app\) groups=10\(wheel\),29\(audio\),1000\(app\)/);
    assert.match(log, /pid1=(docker-init|tini-static|tini|catatonit)/);
  });

  it('applies Docker’s confinement: caps, seccomp, masked paths, read-only rootfs, hostname', async () => {
    const script = [
      'grep CapEff /proc/self/status',
      'unshare -n true 2>/dev/null && echo unshare=allowed || echo unshare=denied',
      'echo interrupts=$(wc -c < /proc/interrupts) timer_list=$(wc -c < /proc/timer_list)',
      'touch /x 2>/dev/null && echo rootfs=rw || echo rootfs=ro',
      'touch /dev/shm/x && echo shm=rw',
      'echo host=$(hostname)',
      'echo nofile=$(ulimit -n)',
      'echo ifaces=$(ls /sys/class/net)',
    ].join('; ');
    const c = await container({ args: ['sh', '-c', script], readonlyRootfs: true, hostname: 'box1' });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    const log = readFileSync(c.logPath, 'utf8');
    assert.match(log, /CapEff:\s+00000000a80425fb/);
    assert.match(log, /unshare=denied/);
    assert.match(log, /interrupts=0 timer_list=0/);
    assert.match(log, /rootfs=ro/);
    assert.match(log, /shm=rw/);
    assert.match(log, /host=box1/);
    assert.match(log, /nofile=20000/);
    assert.match(log, /ifaces=lo$/m);
  });

  it('fails to create with Docker’s message for a missing executable', async () => {
    await assert.rejects(container({ args: ['/no/such/binary'] }), (e: Error) => {
      assert.match(
        e.message,
        /^failed to create task for container: failed to create shim task: OCI runtime create failed: .*no such file or directory.*: unknown$/,
      );
      return true;
    });
  });

  it('reports an OOM kill', async () => {
    const c = await container({
      args: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'],
      resources: { memory: 8 * 1024 * 1024 },
    });
    await rt.start(c.id);
    const exit = await rt.waitExit(c.id);
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.oomKilled, true);
  });

  it('runs a container with a runtime chosen per container (--runtime)', async () => {
    const wrapper = path.join(dir, 'wrapped-runc');
    const calls = path.join(dir, 'wrapped-calls');
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${calls}\nexec runc "$@"\n`, { mode: 0o755 });
    const c = await container({ args: ['sh', '-c', 'exit 6'], runtime: { name: 'wrapped', path: wrapper } });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 6);
    assert.equal((await rt.state(c.id))?.status, 'stopped');
    await rt.delete(c.id);
    const log = readFileSync(calls, 'utf8');
    for (const verb of ['create', 'start', 'state', 'delete'])
      assert.match(log, new RegExp(`--root=\\S+/runtimes/wrapped ${verb}`), verb);
    assert.equal(await rt.state(c.id), null);
  });

  it('caps the log size with logMaxSize (conmon starts a new file)', async () => {
    const c = await container({
      args: [
        'sh',
        '-c',
        'i=0; while [ $i -lt 200 ]; do echo "line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done',
      ],
      logMaxSize: 2000,
    });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    const text = readFileSync(c.logPath, 'utf8');
    assert.ok(text.length <= 2000, `log is ${text.length} bytes`);
    assert.match(text, /line-199-/);
    assert.doesNotMatch(text, /line-0-/);
  });

  it('attaches between create and start without losing early output', async () => {
    const c = await container({ args: ['sh', '-c', 'echo early; echo late >&2'] });
    const a = await rt.attach(c.id, { stdin: false });
    const out = readUntil(a.stdout, (s) => s.includes('early'));
    const err = readUntil(a.stderr!, (s) => s.includes('late'));
    await rt.start(c.id);
    assert.equal(await out, 'early\n');
    assert.equal(await err, 'late\n');
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    a.close();
  });

  it('restarts a container under the same id and appends to its log', async () => {
    const c = await container({ args: ['sh', '-c', 'echo run-$(cat /proc/sys/kernel/random/uuid)'] });
    await rt.start(c.id);
    await rt.waitExit(c.id);
    await rt.delete(c.id);
    await rt.create(runSpec(c.id, c.rootfs, c.logPath, { args: ['sh', '-c', 'echo second; exit 2'] }));
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 2);
    const lines = readFileSync(c.logPath, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /stdout F run-/);
    assert.match(lines[1], /stdout F second$/);
  });

  it('maps a host device (--device) and sets oom_score_adj', async () => {
    const c = await container({
      args: ['sh', '-c', 'echo x > /dev/mynull && echo dev=ok; echo adj=$(cat /proc/self/oom_score_adj)'],
      devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rwm' }],
      oomScoreAdj: 300,
    });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    const log = readFileSync(c.logPath, 'utf8');
    assert.match(log, /dev=ok/);
    assert.match(log, /adj=300/);
  });

  it('applies a user seccomp profile (--security-opt seccomp=<json>)', async () => {
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    };
    const c = await container({
      args: ['sh', '-c', 'mkdir /tmp/d 2>&1; echo rc=$?'],
      securityOpt: [`seccomp=${JSON.stringify(profile)}`],
    });
    await rt.start(c.id);
    assert.equal((await rt.waitExit(c.id)).exitCode, 0);
    const log = readFileSync(c.logPath, 'utf8');
    assert.match(log, /Operation not permitted/);
    assert.match(log, /rc=1/);
  });
});
