// `DOCKER_BUILDKIT=0 docker build` (the real docker CLI v28, legacy builder)
// against berthd: Dockerfiles with every instruction, then the results are
// run and inspected; multi-stage with --target, ONBUILD in a child build,
// the cache ("Using cache", a touched file invalidates only later steps),
// and the faults (failing RUN, missing file, syntax error, unsafe context).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAll } from '../../src/client/client.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

describe('docker build (legacy builder) against berthd', () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-build-docker-'));
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const env = { DOCKER_BUILDKIT: '0' };
  /** A context dir with these files. */
  const context = (name: string, files: Record<string, string>): string => {
    const dir = path.join(tmp, name);
    for (const [f, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), body);
    }
    return dir;
  };
  const build = (dir: string, args: string[] = []) => d.docker(['build', ...args, dir], { env });
  const ok = (args: string[]): string => {
    const r = d.docker(args, { env });
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stdout}\n${r.stderr}\n${d.log().slice(-2000)}`);
    return r.stdout;
  };
  /** Runs `cmd` in the image; output read with `docker logs` after the exit (no attach race). */
  const run = (img: string, cmd: string, entry = true): string => {
    const id = ok([
      'run',
      '-d',
      '--network',
      'none',
      ...(entry ? ['--entrypoint', 'sh', img, '-c', cmd] : [img]),
    ]).trim();
    try {
      assert.equal(ok(['wait', id]).trim(), '0');
      return ok(['logs', id]).trim();
    } finally {
      d.docker(['rm', '-f', id]);
    }
  };
  const inspect = (img: string, fmt: string): string => ok(['image', 'inspect', '-f', fmt, img]).trim();

  it('builds every instruction and the image behaves as written', () => {
    const dir = context('all', {
      'a.txt': 'hello\n',
      'dir/sub/f': 'x\n',
      'app.tar': '',
      Dockerfile: [
        'FROM busybox',
        'ARG A=1',
        'ENV E=v P="two words"',
        'LABEL l=1 "k k"=v',
        'RUN echo hi $A > /run.txt && echo err >&2',
        'COPY a.txt /a.txt',
        'COPY dir /d/',
        'ADD a.txt dir /multi/',
        'COPY --chown=user:user --chmod=600 a.txt /owned',
        'WORKDIR rel',
        'WORKDIR sub',
        'RUN pwd > /pwd.txt',
        'USER 1000',
        'EXPOSE 80/tcp 81',
        'VOLUME /v',
        'HEALTHCHECK --interval=1s --timeout=2s CMD test -f /a.txt',
        'STOPSIGNAL SIGUSR1',
        'ONBUILD RUN echo triggered > /tmp/onbuild.txt',
        'SHELL ["/bin/sh","-c"]',
        'ENTRYPOINT ["sh","-c"]',
        'CMD ["echo $E"]',
        '',
      ].join('\n'),
    });
    const r = build(dir, ['-t', 'every:1', '--build-arg', 'A=z']);
    assert.equal(r.code, 0, r.stdout + r.stderr + d.log().slice(-2000));
    assert.match(r.stdout, /Step 1\/21 : FROM busybox/);
    assert.match(r.stdout, / ---> Running in [0-9a-f]{12}\n/);
    assert.match(r.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged every:1\n/);
    // RUN's stderr comes in red, as dockerd colours it.
    assert.ok(r.stdout.includes('\u001b[91merr\n\u001b[0m'), r.stdout);
    // Effects inside the image.
    assert.equal(run('every:1', 'cat /run.txt'), 'hi z');
    assert.equal(run('every:1', 'cat /a.txt /d/sub/f /multi/a.txt /multi/sub/f'), 'hello\nx\nhello\nx');
    assert.equal(run('every:1', 'stat -c "%u:%g %a" /owned'), '1000:1000 600');
    assert.equal(run('every:1', 'cat /pwd.txt; pwd; id -u'), '/rel/sub\n/rel/sub\n1000');
    assert.equal(run('every:1', '', false), 'v');
    assert.equal(run('every:1', 'echo "$P"'), 'two words');
    // The config.
    assert.equal(
      inspect('every:1', '{{json .Config.Entrypoint}} {{json .Config.Cmd}}'),
      '["sh","-c"] ["echo $E"]',
    );
    assert.equal(inspect('every:1', '{{json .Config.ExposedPorts}}'), '{"80/tcp":{},"81/tcp":{}}');
    assert.equal(
      inspect('every:1', '{{json .Config.Volumes}} {{.Config.StopSignal}} {{.Config.User}}'),
      '{"/v":{}} SIGUSR1 1000',
    );
    assert.equal(inspect('every:1', '{{json .Config.Labels}}'), '{"k k":"v","l":"1"}');
    assert.equal(inspect('every:1', '{{json .Config.OnBuild}}'), '["RUN echo triggered > /tmp/onbuild.txt"]');
    assert.equal(
      inspect('every:1', '{{json .Config.Healthcheck}}'),
      '{"Test":["CMD-SHELL","test -f /a.txt"],"Interval":1000000000,"Timeout":2000000000}',
    );
    const history = ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'every:1']);
    assert.match(history, /\|1 A=z \/bin\/sh -c echo hi \$A > \/run.txt && echo err >&2/);
    assert.ok(history.includes('/bin/sh -c #(nop)  CMD ["echo $E"]'), history);
    assert.match(history, /\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/a.txt /);
    // No intermediate container is left.
    assert.equal(ok(['ps', '-aq']).trim(), '');
  });

  it('runs the image with its healthcheck until healthy', async () => {
    const id = ok(['run', '-d', '--network', 'none', 'every:1', 'sleep 30']).trim();
    try {
      let status = '';
      for (let i = 0; i < 40 && status !== 'healthy'; i++) {
        await new Promise((r) => setTimeout(r, 250));
        status = ok(['inspect', '-f', '{{.State.Health.Status}}', id]).trim();
      }
      assert.equal(status, 'healthy');
    } finally {
      d.docker(['rm', '-f', id]);
    }
  });

  it('runs ONBUILD triggers in a child build', () => {
    const dir = context('child', { Dockerfile: 'FROM every:1\nRUN cat /tmp/onbuild.txt\n' });
    const r = build(dir, ['-t', 'child:1']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# Executing 1 build trigger\n/);
    assert.equal(run('child:1', 'cat /tmp/onbuild.txt'), 'triggered');
    assert.equal(inspect('child:1', '{{json .Config.OnBuild}}'), 'null');
  });

  it('builds only the stages the target needs, and COPY --from takes files from them', () => {
    const dir = context('multi', {
      Dockerfile: [
        'FROM busybox AS one',
        'RUN echo one > /one',
        'FROM busybox AS two',
        'RUN echo two > /two',
        'FROM busybox AS broken',
        'RUN exit 7',
        'FROM busybox AS final',
        'COPY --from=one /one /got/',
        'COPY --from=1 /two /got/',
        'RUN cat /got/one /got/two > /both',
        'FROM final AS last',
        'RUN exit 9',
        '',
      ].join('\n'),
    });
    const r = build(dir, ['-t', 'multi:1', '--target', 'final']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /exit 7|exit 9/);
    assert.equal(run('multi:1', 'cat /both'), 'one\ntwo');
    const bad = build(dir, ['--target', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /failed to reach build target nope in Dockerfile/);
  });

  it('reuses the cache, and a touched file invalidates only the steps after its COPY', () => {
    const dir = context('cache', {
      'one.txt': '1\n',
      'two.txt': '2\n',
      Dockerfile:
        'FROM busybox\nRUN echo first > /first\nCOPY one.txt /\nRUN echo after-one\nCOPY two.txt /\nRUN cat /two.txt\n',
    });
    const first = build(dir, ['-t', 'cache:1']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const firstId = inspect('cache:1', '{{.Id}}');
    const again = build(dir, ['-t', 'cache:1']);
    assert.equal(again.code, 0);
    assert.equal(again.stdout.match(/ ---> Using cache/g)?.length, 5, again.stdout);
    assert.equal(inspect('cache:1', '{{.Id}}'), firstId);
    writeFileSync(path.join(dir, 'two.txt'), '22\n');
    const touched = build(dir, ['-t', 'cache:2']);
    assert.equal(touched.code, 0);
    assert.equal(touched.stdout.match(/ ---> Using cache/g)?.length, 3, touched.stdout);
    assert.equal(run('cache:2', 'cat /two.txt'), '22');
    const nocache = build(dir, ['--no-cache', '-t', 'cache:3']);
    assert.doesNotMatch(nocache.stdout, /Using cache/);
    // builder prune drops the records: the next build runs every step again.
    ok(['builder', 'prune', '-f']);
    const after = build(dir, ['-t', 'cache:4']);
    assert.doesNotMatch(after.stdout, /Using cache/);
    // --cache-from: with no records left, the steps of an image named there are reused.
    ok(['builder', 'prune', '-f']);
    const from = build(dir, ['--cache-from', 'cache:4', '-t', 'cache:5']);
    assert.equal(from.code, 0, from.stdout + from.stderr);
    assert.equal(from.stdout.match(/ ---> Using cache/g)?.length, 5, from.stdout);
    assert.equal(inspect('cache:5', '{{.Id}}'), inspect('cache:4', '{{.Id}}'));
  });

  it('caches COPY of globs and through symlinks (keys from the files on disk) like plain ones', () => {
    const dir = context('cache-disk', {
      'src/a.txt': 'a\n',
      'src/b.txt': 'b\n',
      Dockerfile: 'FROM busybox\nCOPY src/*.txt /g/\nCOPY link/ /l/\nCOPY src /s/\nRUN cat /g/a.txt /l/b.txt\n',
    });
    symlinkSync('src', path.join(dir, 'link'));
    const first = build(dir, ['-t', 'cache-disk:1']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const again = build(dir, ['-t', 'cache-disk:1']);
    assert.equal(again.stdout.match(/ ---> Using cache/g)?.length, 4, again.stdout);
    writeFileSync(path.join(dir, 'src/b.txt'), 'bb\n');
    const touched = build(dir, ['-t', 'cache-disk:2']);
    assert.equal(touched.code, 0, touched.stdout + touched.stderr);
    assert.doesNotMatch(touched.stdout, /Using cache/, 'every COPY sees b.txt');
    assert.equal(run('cache-disk:2', 'cat /g/b.txt /l/b.txt /s/b.txt'), 'bb\nbb\nbb');
  });

  it('reports a failing RUN with its output and exit code and leaves no container', () => {
    const dir = context('fail', { Dockerfile: 'FROM busybox\nRUN echo before-failing; exit 3\n' });
    const r = build(dir);
    // The docker CLI exits with the code in errorDetail.
    assert.equal(r.code, 3);
    assert.match(r.stdout, /before-failing/);
    assert.match(
      r.stderr,
      /The command '\/bin\/sh -c echo before-failing; exit 3' returned a non-zero code: 3/,
    );
    assert.equal(ok(['ps', '-aq']).trim(), '');
  });

  it("gives Docker's messages for a missing file, a path outside the context and a syntax error", () => {
    const missing = build(context('missing', { Dockerfile: 'FROM busybox\nCOPY nope /x\n' }));
    assert.match(
      missing.stderr,
      /COPY failed: file not found in build context or excluded by \.dockerignore: stat nope: file does not exist/,
    );
    const outside = build(context('outside', { Dockerfile: 'FROM busybox\nCOPY ../../etc/passwd /x\n' }));
    assert.notEqual(outside.code, 0);
    assert.match(outside.stderr, /forbidden path outside the build context/);
    const syntax = build(context('syntax', { Dockerfile: 'FROM busybox\nRUNX x\n' }));
    assert.notEqual(syntax.code, 0);
    assert.match(syntax.stderr, /dockerfile parse error line 2: unknown instruction: RUNX/);
  });

  it('copies a symlink that points outside the context as a link, never the host file', () => {
    const dir = context('links', { Dockerfile: 'FROM busybox\nCOPY . /ctx/\n' });
    symlinkSync('/etc/shadow', path.join(dir, 'escape'));
    const r = build(dir, ['-t', 'links:1']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(run('links:1', 'readlink /ctx/escape'), '/etc/shadow');
    assert.doesNotMatch(run('links:1', 'cat /etc/shadow; echo; ls -la /ctx'), /^root:[^*]/m);
  });

  it('writes nothing outside its temp dir for a context tar with ../ and absolute entries, and removes the temp dir', async () => {
    const src = path.join(tmp, 'evil-src');
    mkdirSync(path.join(src, 'in'), { recursive: true });
    writeFileSync(path.join(src, 'in', 'Dockerfile'), 'FROM busybox\nCOPY . /c/\n');
    const marker = `berth-evil-${process.pid}-${Date.now()}`;
    writeFileSync(path.join(src, marker), 'x');
    writeFileSync(path.join(src, marker + '-abs'), 'y');
    // A tar whose members climb out: ../<marker> and an absolute path.
    const tarFile = path.join(tmp, 'evil.tar');
    const t = spawnSync('tar', [
      '-cf',
      tarFile,
      '-C',
      path.join(src, 'in'),
      'Dockerfile',
      `../${marker}`,
      '-P',
      path.join(src, marker + '-abs'),
    ]);
    assert.equal(t.status, 0, String(t.stderr));
    const res = await d.client.call('POST', '/build', {
      query: { t: 'evil:1' },
      headers: { 'Content-Type': 'application/x-tar' },
      stream: createReadStream(tarFile),
    });
    const text = (await readAll(res)).toString('utf8');
    assert.match(text, /Successfully built/);
    assert.ok(!existsSync(path.join(d.dataRoot, 'tmp', marker)));
    assert.ok(!existsSync(path.join(d.dataRoot, marker)));
    assert.ok(!existsSync(path.join('/tmp', marker)));
    // The absolute member landed inside the context (leading / stripped), not over the original.
    assert.equal(run('evil:1', `cat /c${path.join(src, marker + '-abs')}`), 'y');
    assert.deepEqual(
      readdirSync(path.join(d.dataRoot, 'tmp')).filter((n) => n.startsWith('build-')),
      [],
    );
  });
});
