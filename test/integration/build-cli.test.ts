// `berth build` against berthd, end to end: what .dockerignore keeps is what
// COPY sees in the image, -f outside the context, -f -, a tar on stdin,
// -q/--iidfile, build args from the environment, and the printed output,
// exit codes and errors compared with `DOCKER_BUILDKIT=0 docker build`
// (docker CLI v28) against the same berthd.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

describe('berth build against berthd', () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-build-cli-'));
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const context = (name: string, files: Record<string, string>): string => {
    const dir = path.join(tmp, name);
    for (const [f, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), body);
    }
    return dir;
  };
  const berth = (args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}) => {
    const r = d.berth(args, opts);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stdout}\n${r.stderr}\n${d.log().slice(-2000)}`);
    return r.stdout;
  };
  /** Output of a container of `img` (run detached, waited for, logs read: no attach race). */
  const output = (img: string, cmd: string[]): string => {
    const id = berth(['run', '-d', '--network', 'none', img, ...cmd]).trim();
    try {
      assert.equal(berth(['wait', id]).trim(), '0');
      return berth(['logs', id]).trim();
    } finally {
      d.berth(['rm', '-f', id]);
    }
  };
  const inImage = (img: string, cmd: string): string => output(img, ['sh', '-c', cmd]);
  /** Hex IDs and durations differ from run to run. */
  const normalize = (s: string): string =>
    s.replace(/\b[0-9a-f]{12}\b/g, '<id>').replace(/sha256:[0-9a-f]{64}/g, '<digest>');

  it('.dockerignore decides what COPY sees, with ! exceptions and the build files kept out of the image', () => {
    const dir = context('ignore', {
      Dockerfile: 'FROM busybox\nCOPY . /ctx\n',
      'app.js': 'x',
      'README.md': 'r',
      'NOTES.md': 'n',
      'logs/a.log': 'a',
      'logs/keep.log': 'k',
      'src/deep/x.tmp': 't',
      'src/deep/y.txt': 'y',
      '.dockerignore': '*.md\n!README.md\nlogs\n!logs/keep.log\n**/*.tmp\nDockerfile\n.dockerignore\n',
    });
    berth(['build', '-q', '-t', 'bcli-ignore', dir]);
    const files = inImage('bcli-ignore', 'cd /ctx && find . -type f | sort').split('\n');
    assert.deepEqual(files, ['./README.md', './app.js', './logs/keep.log', './src/deep/y.txt']);
  });

  it('-f outside the context and -f - (stdin): the Dockerfile is used and never lands in the image', () => {
    const dir = context('outside/ctx', { 'data.txt': 'data\n' });
    const df = path.join(tmp, 'outside', 'Build.dockerfile');
    writeFileSync(df, 'FROM busybox\nCOPY . /ctx\nCMD ["cat", "/ctx/data.txt"]\n');
    berth(['build', '-q', '-f', df, '-t', 'bcli-outside', dir]);
    assert.equal(inImage('bcli-outside', 'ls -A /ctx'), 'data.txt');
    assert.equal(output('bcli-outside', []), 'data');

    berth(['build', '-q', '-f', '-', '-t', 'bcli-stdin', dir], {
      input: 'FROM busybox\nCOPY . /s\nLABEL from=stdin\n',
    });
    assert.equal(inImage('bcli-stdin', 'ls -A /s'), 'data.txt');
    assert.equal(berth(['image', 'inspect', '-f', '{{.Config.Labels.from}}', 'bcli-stdin']).trim(), 'stdin');
  });

  it('- takes a tar as the whole context, or a Dockerfile alone', () => {
    const dir = context('tarctx', { Dockerfile: 'FROM busybox\nCOPY f /f\n', f: 'from tar\n' });
    const tarFile = path.join(tmp, 'ctx.tar');
    assert.equal(spawnSync('tar', ['-cf', tarFile, '-C', dir, 'Dockerfile', 'f']).status, 0);
    berth(['build', '-q', '-t', 'bcli-tar', '-'], { input: readFileSync(tarFile) });
    assert.equal(inImage('bcli-tar', 'cat /f'), 'from tar');
    berth(['build', '-q', '-t', 'bcli-dfonly', '-'], { input: 'FROM busybox\nRUN echo made > /m\n' });
    assert.equal(inImage('bcli-dfonly', 'cat /m'), 'made');
  });

  it('-q prints only the image ID; --iidfile holds it; --build-arg KEY takes the value from the environment', () => {
    const dir = context('args', {
      Dockerfile: 'FROM busybox\nARG FROM_ENV\nARG GIVEN=default\nRUN echo "$FROM_ENV $GIVEN" > /v\n',
    });
    const iid = path.join(tmp, 'iid');
    const out = berth(
      [
        'build',
        '-q',
        '--iidfile',
        iid,
        '--build-arg',
        'FROM_ENV',
        '--build-arg',
        'GIVEN=given',
        '-t',
        'bcli-args',
        dir,
      ],
      {
        env: { FROM_ENV: 'from-env' },
      },
    );
    assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
    const id = berth(['image', 'inspect', '-f', '{{.Id}}', 'bcli-args']).trim();
    assert.equal(out.trim(), id);
    assert.equal(readFileSync(iid, 'utf8').trim(), id);
    assert.equal(inImage('bcli-args', 'cat /v'), 'from-env given');
    // Without -q the ID comes from the aux message, without a newline, as docker writes it.
    berth(['build', '--iidfile', iid, '--build-arg', 'FROM_ENV', '--build-arg', 'GIVEN=given', dir], {
      env: { FROM_ENV: 'from-env' },
    });
    assert.equal(readFileSync(iid, 'utf8'), id);
  });

  it('prints what docker build prints, step by step (IDs aside)', () => {
    const dir = context('same', {
      Dockerfile: 'FROM busybox\nENV A=1\nCOPY f /f\nRUN echo out && echo err >&2\nCMD ["cat", "/f"]\n',
      f: 'f\n',
    });
    const env = { DOCKER_BUILDKIT: '0' };
    const dk = d.docker(['build', '--no-cache', '-t', 'bcli-same:docker', dir], { env });
    assert.equal(dk.code, 0, dk.stderr);
    const bt = d.berth(['build', '--no-cache', '-t', 'bcli-same:berth', dir]);
    assert.equal(bt.code, 0, bt.stderr);
    assert.equal(normalize(bt.stdout).replace('bcli-same:berth', 'bcli-same:docker'), normalize(dk.stdout));
    assert.match(bt.stdout, /^Sending build context to Docker daemon {2}\d/);
    assert.match(bt.stdout, /Step 4\/5 : RUN echo out && echo err >&2\n ---> Running in [0-9a-f]{12}\nout\n/);
    assert.match(bt.stdout, /Successfully tagged bcli-same:berth\n$/);
    // A second build uses the cache and says so, like docker's.
    const again = d.berth(['build', '-t', 'bcli-same:berth', dir]);
    const dkAgain = d.docker(['build', '-t', 'bcli-same:docker', dir], { env });
    assert.equal(
      normalize(again.stdout).replace('bcli-same:berth', 'bcli-same:docker'),
      normalize(dkAgain.stdout),
    );
    assert.match(again.stdout, / ---> Using cache\n/);
  });

  it('a failing RUN: same output, message on stderr and exit status as docker build', () => {
    const dir = context('fail', { Dockerfile: 'FROM busybox\nRUN echo before; exit 3\n' });
    const env = { DOCKER_BUILDKIT: '0' };
    const dk = d.docker(['build', dir], { env });
    const bt = d.berth(['build', dir]);
    assert.equal(dk.code, 3);
    assert.equal(bt.code, dk.code);
    assert.equal(normalize(bt.stdout), normalize(dk.stdout));
    assert.equal(bt.stderr, "The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3\n");
    assert.ok(dk.stderr.endsWith(bt.stderr), dk.stderr);
  });

  it('builder prune asks first (like docker), then removes the build cache and reports it', () => {
    const no = d.berth(['builder', 'prune'], { input: 'n\n' });
    assert.equal(no.code, 0);
    assert.equal(
      no.stdout,
      'WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] ',
    );
    const dk = d.docker(['builder', 'prune'], { input: 'n\n' });
    assert.equal(no.stdout, dk.stdout);
    const out = berth(['builder', 'prune', '-a', '-f']);
    assert.match(out, /^Deleted build cache objects:\n(\S+\n)+\nTotal reclaimed space: \S+\n$/);
    assert.equal(berth(['builder', 'prune', '-a', '-f']), 'Total reclaimed space: 0B\n');
  });

  it("the Korean quick start's docker build -t example (docs/ko/README.md) works as written", () => {
    const dir = context('hello', {
      'app.sh': 'echo "hello from $NAME"\n',
      Dockerfile: 'FROM busybox\nENV NAME=berth\nWORKDIR /app\nCOPY app.sh .\nCMD ["sh", "app.sh"]\n',
    });
    const out = berth(['build', '-t', 'hello-bcli', dir]);
    assert.match(out, /Successfully tagged hello-bcli:latest\n$/);
    assert.equal(output('hello-bcli', []), 'hello from berth');
  });

  it('a Dockerfile syntax error: same message and status as docker build', () => {
    const dir = context('syntax', { Dockerfile: 'FROM busybox\nFOO bar\n' });
    const dk = d.docker(['build', dir], { env: { DOCKER_BUILDKIT: '0' } });
    const bt = d.berth(['build', dir]);
    assert.equal(bt.code, dk.code);
    assert.equal(bt.code, 1);
    assert.equal(
      bt.stderr,
      'Error response from daemon: dockerfile parse error line 2: unknown instruction: FOO\n',
    );
    assert.ok(dk.stderr.endsWith(bt.stderr), dk.stderr);
  });
});
