// docker diff, docker export and docker commit through the real docker CLI:
// the committed image carries the container's changes (adds, edits,
// deletions as whiteouts) and the --change instructions.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

describe('diff, export and commit', () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-commit-'));
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const docker = (args: string[]) =>
    d.docker(['run', 'create'].includes(args[0]) ? [args[0], '--network', 'none', ...args.slice(1)] : args);
  const ok = (args: string[]) => {
    const r = docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.log().slice(-1500)}`);
    return r.stdout;
  };

  it('lists changes with docker diff', () => {
    ok([
      'run',
      '--name',
      'chg',
      'busybox',
      'sh',
      '-c',
      'mkdir /newdir && echo hi > /newdir/f && rm /bin/ls && echo more >> /etc/group',
    ]);
    const lines = ok(['diff', 'chg']).trim().split('\n');
    for (const want of ['A /newdir', 'A /newdir/f', 'C /bin', 'D /bin/ls', 'C /etc', 'C /etc/group'])
      assert.ok(lines.includes(want), `diff has "${want}": ${lines.join(' | ')}`);
    assert.ok(!lines.some((l) => / \/etc\/(hosts|hostname|resolv\.conf)$/.test(l)), lines.join(' | '));
  });

  it('exports the merged filesystem as a tar', () => {
    const file = path.join(tmp, 'export.tar');
    ok(['export', '-o', file, 'chg']);
    const list = spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n');
    assert.ok(list.includes('newdir/f'), 'the added file is in the export');
    assert.ok(list.includes('bin/sh'), 'image content is in the export');
    assert.ok(!list.includes('bin/ls'), 'the deleted file is not');
    const content = spawnSync('tar', ['-xOf', file, 'newdir/f'], { encoding: 'utf8' }).stdout;
    assert.equal(content, 'hi\n');
  });

  it('commits a container into an image that runs with its changes', () => {
    const id = ok([
      'commit',
      '-m',
      'my change',
      '-a',
      'Tester <t@example.com>',
      '-c',
      'ENV FOO=bar',
      '-c',
      'CMD ["cat", "/newdir/f"]',
      'chg',
      'committed:v1',
    ]).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(['run', '--rm', 'committed:v1']), 'hi\n');
    assert.equal(
      ok([
        'run',
        '--rm',
        'committed:v1',
        'sh',
        '-c',
        'echo $FOO; test -e /bin/ls || echo gone; tail -n1 /etc/group',
      ]),
      'bar\ngone\nmore\n',
    );
    const img = JSON.parse(ok(['image', 'inspect', 'committed:v1']))[0];
    const base = JSON.parse(ok(['image', 'inspect', 'busybox']))[0];
    assert.equal(img.Comment, 'my change');
    assert.equal(img.Author, 'Tester <t@example.com>');
    assert.equal(img.RootFS.Layers.length, base.RootFS.Layers.length + 1);
    assert.deepEqual(img.RootFS.Layers.slice(0, -1), base.RootFS.Layers);
    const hist = ok(['history', '--no-trunc', '--format', '{{.Comment}}', 'committed:v1']).split('\n');
    assert.equal(hist[0], 'my change');
  });

  it('commits a running container (paused while the layer is taken)', () => {
    ok(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'echo live > /state; sleep 300']);
    for (let i = 0; i < 50 && docker(['exec', 'live', 'test', '-e', '/state']).code !== 0; i++)
      spawnSync('sleep', ['0.1']);
    ok(['commit', 'live', 'committed:live']);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}}', 'live']), 'running\n');
    assert.equal(ok(['run', '--rm', 'committed:live', 'cat', '/state']), 'live\n');
    ok(['rm', '-f', 'live']);
  });

  it('leaves no half image when the daemon dies during a commit', async () => {
    ok([
      'run',
      '--name',
      'bigc',
      'busybox',
      'sh',
      '-c',
      'dd if=/dev/urandom of=/big bs=1M count=150 2>/dev/null',
    ]);
    const before = ok(['images', '-q', '--no-trunc']);
    const { spawn } = await import('node:child_process');
    const commit = spawn('/usr/local/bin/docker', ['commit', 'bigc', 'halfimage:x'], {
      env: { ...process.env, DOCKER_HOST: d.host },
      stdio: 'ignore',
    });
    // Kill as soon as the daemon has the request: taking a 150 MiB layer takes far longer.
    for (let i = 0; i < 100 && !/Calling POST \/v[\d.]+\/commit/.test(d.log()); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.match(d.log(), /Calling POST \/v[\d.]+\/commit/);
    await new Promise((r) => setTimeout(r, 100));
    await d.kill('SIGKILL');
    await new Promise((r) => commit.once('close', r));
    await d.restart();
    assert.equal(docker(['image', 'inspect', 'halfimage:x']).code, 1, 'the interrupted commit made no image');
    assert.equal(ok(['images', '-q', '--no-trunc']), before);
    // The container is intact and a second commit works.
    ok(['commit', 'bigc', 'halfimage:y']);
    assert.equal(
      ok(['run', '--rm', 'halfimage:y', 'sh', '-c', 'wc -c < /big']).trim(),
      String(150 * 1024 * 1024),
    );
    ok(['rm', 'bigc']);
  });
});
