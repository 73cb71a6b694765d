// The runtime layer end to end: the real docker CLI against berthd, checking
// effects that come from the OCI config, conmon and runc.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

describe('runtime through the docker CLI', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
  });
  after(async () => {
    await d?.stop();
  });

  // --network none: these checks are about the runtime, not about networking.
  const run = (...args: string[]) => d.docker(['run', '--rm', '--network', 'none', ...args]);

  it('passes the exit code through', () => {
    assert.equal(run('busybox', 'sh', '-c', 'exit 3').code, 3);
  });

  it('keeps stdout and stderr apart', () => {
    const r = run('busybox', 'sh', '-c', 'echo out; echo err >&2');
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('applies --memory, --pids-limit and --cap-drop', () => {
    const r = run(
      '--memory',
      '64m',
      '--pids-limit',
      '20',
      '--cap-drop',
      'ALL',
      'busybox',
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; grep CapEff /proc/self/status',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^67108864\n20\nCapEff:\s+0000000000000000\n$/);
  });

  it('runs --init as PID 1 and honours --read-only and --user', () => {
    assert.match(
      run('--init', 'busybox', 'cat', '/proc/1/comm').stdout,
      /^(docker-init|tini-static|tini|catatonit)\n$/,
    );
    const ro = run('--read-only', 'busybox', 'touch', '/x');
    assert.equal(ro.code, 1);
    assert.match(ro.stderr, /Read-only file system/);
    assert.match(run('--user', '1234:5678', 'busybox', 'id').stdout, /^uid=1234 gid=5678/);
  });

  it('answers 127 with Docker’s message for a missing command', () => {
    const r = run('busybox', 'no-such-command');
    assert.equal(r.code, 127);
    assert.match(r.stderr, /executable file not found in \$PATH/);
  });

  it('execs into a running container with its exit code', () => {
    const name = `rt-exec-${process.pid}`;
    assert.equal(
      d.docker(['run', '-d', '--network', 'none', '--name', name, 'busybox', 'sleep', '30']).code,
      0,
    );
    try {
      const e = d.docker(['exec', name, 'sh', '-c', 'echo in-$(hostname); exit 4']);
      assert.equal(e.code, 4);
      assert.match(e.stdout, /^in-[0-9a-f]{12}\n$/);
    } finally {
      d.docker(['rm', '-f', name]);
    }
  });

  it('gives -t containers a terminal and streams stats of a running one', () => {
    const t = run('-t', 'busybox', 'sh', '-c', 'tty; echo TERM=$TERM');
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^\/dev\/pts\/0\r\nTERM=xterm\r\n$/);
    const name = `rt-stats-${process.pid}`;
    assert.equal(
      d.docker([
        'run',
        '-d',
        '--network',
        'none',
        '--name',
        name,
        '--memory',
        '32m',
        'busybox',
        'sleep',
        '30',
      ]).code,
      0,
    );
    try {
      const s = d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', name]);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stdout, new RegExp(`^${name} [\\d.]+[KMG]?i?B / 32MiB 1\\n$`));
    } finally {
      d.docker(['rm', '-f', name]);
    }
  });

  it('keeps a container running across a berthd SIGKILL and stops it afterwards', async () => {
    const name = `rt-live-${process.pid}`;
    const r = d.docker([
      'run',
      '-d',
      '--network',
      'none',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      'trap "exit 42" TERM; while true; do sleep 0.1; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    try {
      await d.kill('SIGKILL');
      await d.restart();
      assert.equal(d.docker(['inspect', '-f', '{{.State.Status}}', name]).stdout, 'running\n');
      assert.equal(d.docker(['stop', name]).code, 0);
      assert.equal(d.docker(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout, '42\n');
    } finally {
      d.docker(['rm', '-f', name]);
    }
  });
});
