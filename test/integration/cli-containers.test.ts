// The berth CLI's container commands against a private berthd: exit codes,
// stream separation, ps/logs/exec/stats output, --rm and rm -f, and the same
// output as the real docker CLI where both can be compared.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { BERTH, DOCKER } from '../support/daemon.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string => `${p}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;

describe('berth container commands', () => {
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

  it('run returns the container exit code and keeps stdout and stderr apart', () => {
    const r = d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  // The exit is often seen before the attach stream is drained: berthd must not cut it.
  it('run of a fast command with a lot of output gets all of it (docker and berth)', () => {
    const expected = Array.from({ length: 20000 }, (_, i) => String(i + 1)).join('\n') + '\n';
    for (const cli of [d.docker, d.berth]) {
      const r = cli(['run', '--rm', 'busybox', 'seq', '1', '20000']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, expected.length);
      assert.equal(r.stdout, expected);
    }
  });

  it('run of a missing command exits 127, like docker', () => {
    const r = d.berth(['run', '--rm', 'busybox', 'no-such-binary']);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /^berth: Error response from daemon: /);
  });

  // Spawned with its own timeout: a daemon that misses the half-close would hang here.
  it('run -i passes stdin and half-closes at EOF', () => {
    const r = spawnSync(process.execPath, [BERTH, 'run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], {
      input: 'hello\n',
      env: { ...process.env, DOCKER_HOST: d.host },
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr?.toString());
    assert.equal(r.stdout.toString(), 'hello\ndone\n');
  });

  it('run --rm removes the container before returning', () => {
    const name = uniq('rm');
    const r = d.berth(['run', '--rm', '--name', name, 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const i = d.berth(['container', 'inspect', name]);
    assert.equal(i.code, 1);
    assert.equal(i.stdout, '[]\n');
    assert.match(i.stderr, /No such container/);
  });

  it('run with an unknown flag or bad value exits 125', () => {
    assert.equal(d.berth(['run', '--bogus', 'busybox']).code, 125);
    const r = d.berth(['run', '-m', 'lots', 'busybox']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'/);
  });

  it('run -d prints the full ID; ps, logs, exec, stop and rm work on it', async () => {
    const name = uniq('web');
    const r = d.berth(['run', '-d', '--name', name, '-l', 'suite=cli', 'busybox', 'sh', '-c', 'echo ready; echo oops >&2; sleep 300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);

    const ps = d.berth(['ps', '--filter', `name=${name}`]);
    assert.equal(ps.code, 0, ps.stderr);
    const [header, row] = ps.stdout.split('\n');
    assert.match(header!, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    // docker's 20-column cut: 19 characters and an ellipsis, quoted.
    assert.match(row!, new RegExp(`^${id.slice(0, 12)}   busybox   "sh -c .{13}…"   `));
    assert.match(row!, /Up (Less than a second|\d+ seconds?)/);
    assert.ok(row!.endsWith(name));

    // The real docker CLI renders the same table from the same daemon.
    const theirs = d.docker(['ps', '--filter', `name=${name}`, '--format', '{{.ID}} {{.Command}} {{.Names}}']);
    const ours = d.berth(['ps', '--filter', `name=${name}`, '--format', '{{.ID}} {{.Command}} {{.Names}}']);
    assert.equal(ours.stdout, theirs.stdout);

    // logs: give the shell a moment to write both lines.
    for (let i = 0; i < 50 && !d.berth(['logs', name]).stdout.includes('ready'); i++) await new Promise((res) => setTimeout(res, 100));
    const logs = d.berth(['logs', name]);
    assert.equal(logs.stdout, 'ready\n');
    assert.equal(logs.stderr, 'oops\n');
    const ts = d.berth(['logs', '-t', '--tail', '1', name]);
    assert.match(ts.stdout + ts.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z (ready|oops)\n$/);

    const ex = d.berth(['exec', name, 'sh', '-c', 'echo in-exec; exit 5']);
    assert.equal(ex.code, 5, ex.stderr);
    assert.equal(ex.stdout, 'in-exec\n');
    const exEnv = d.berth(['exec', '-e', 'FOO=bar', '-w', '/tmp', name, 'sh', '-c', 'echo $FOO $(pwd)']);
    assert.equal(exEnv.stdout, 'bar /tmp\n');

    const fmt = d.berth(['inspect', '-f', '{{.Name}} {{.State.Running}} {{index .Config.Labels "suite"}}', name]);
    assert.equal(fmt.stdout, `/${name} true cli\n`);

    const st = d.berth(['stats', '--no-stream', name]);
    assert.equal(st.code, 0, st.stderr);
    const [sh, srow] = st.stdout.split('\n');
    assert.match(sh!, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    assert.match(srow!, new RegExp(`^${id.slice(0, 12)} +${name} +\\d+\\.\\d\\d% +[\\d.]+[KMG]?i?B / [\\d.]+[KMGT]?i?B +\\d+\\.\\d\\d% `));

    const stop = d.berth(['stop', '-t', '1', name]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, `${name}\n`);
    const waited = d.berth(['wait', name]);
    assert.equal(waited.stdout, '137\n');
    assert.match(d.berth(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout, /^Exited \(137\) /);

    const rm = d.berth(['rm', name]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, `${name}\n`);
    assert.equal(d.berth(['ps', '-a', '-q', '--filter', `name=${name}`]).stdout, '');
  });

  it('rm -f removes a running container; rm of a missing one exits 1', () => {
    const name = uniq('force');
    assert.equal(d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300']).code, 0);
    const rm = d.berth(['rm', name]);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /^Error response from daemon: /);
    const f = d.berth(['rm', '-f', name]);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout, `${name}\n`);
    const missing = d.berth(['rm', name]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `Error response from daemon: No such container: ${name}\n`);
  });

  it('create then start -a returns the exit code', () => {
    const name = uniq('created');
    const c = d.berth(['create', '--name', name, 'busybox', 'sh', '-c', 'echo from-start; exit 7']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^[0-9a-f]{64}\n$/);
    assert.match(d.berth(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout, /^Created\n$/);
    const s = d.berth(['start', '-a', name]);
    assert.equal(s.code, 7, s.stderr);
    assert.equal(s.stdout, 'from-start\n');
    d.berth(['rm', name]);
  });

  it('matches the docker CLI: inspect JSON, ps/stats --format json, missing-image error', () => {
    const name = uniq('same');
    assert.equal(d.berth(['run', '-d', '--name', name, '--memory', '64m', 'busybox', 'sleep', '300']).code, 0);
    assert.equal(d.berth(['inspect', name]).stdout, d.docker(['inspect', name]).stdout);
    assert.equal(d.berth(['container', 'inspect', '-s', name]).stdout, d.docker(['container', 'inspect', '-s', name]).stdout);
    assert.equal(d.berth(['inspect', 'busybox']).stdout, d.docker(['inspect', 'busybox']).stdout);
    const noStatus = (s: string): string => s.replace(/"(Status|RunningFor)":"[^"]*"/g, '');
    assert.equal(noStatus(d.berth(['ps', '--filter', `name=${name}`, '--format', 'json']).stdout), noStatus(d.docker(['ps', '--filter', `name=${name}`, '--format', 'json']).stdout));
    // Counters move between the two calls (CPU, memory, and packets the
    // kernel sends on the container's interface): compare the rest.
    const noCpu = (s: string): string => s.replace(/"(CPUPerc|MemUsage|MemPerc|NetIO|BlockIO)":"[^"]*"/g, '');
    const ours = d.berth(['stats', '--no-stream', '--format', 'json', name]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.match(ours.stdout, /"MemUsage":"[\d.]+[KMG]?i?B \/ 64MiB"/);
    assert.equal(noCpu(ours.stdout), noCpu(d.docker(['stats', '--no-stream', '--format', 'json', name]).stdout));
    const missing = d.berth(['run', '--pull', 'never', 'no-such-image-here']);
    const theirs = d.docker(['run', '--pull', 'never', 'no-such-image-here']);
    assert.equal(missing.code, 125);
    assert.equal(missing.code, theirs.code);
    assert.equal(missing.stderr.replace(/berth/g, 'docker'), theirs.stderr);
    const ex = d.berth(['exec', name, 'no-such-cmd']);
    assert.equal(ex.code, 127);
    assert.equal(ex.code, d.docker(['exec', name, 'no-such-cmd']).code);
    assert.equal(d.berth(['rm', '-f', name]).code, 0);
  });

  it('logs -f follows until the container exits', () => {
    const name = uniq('follow');
    assert.equal(d.berth(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo l$i; sleep 0.3; done']).code, 0);
    const r = d.berth(['logs', '-f', name]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'l1\nl2\nl3\n');
    assert.equal(d.berth(['logs', '--tail', '1', name]).stdout, 'l3\n');
    assert.equal(d.berth(['rm', name]).code, 0);
  });

  it('run proxies signals to the container (--sig-proxy) and returns its exit code', async () => {
    const child = spawn(process.execPath, [BERTH, 'run', '--rm', 'busybox', 'sh', '-c', 'trap "echo got-term; exit 9" TERM; echo ready; while true; do sleep 0.2; done'], {
      env: { ...process.env, DOCKER_HOST: d.host },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 100 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(out.includes('ready'), 'container started');
      child.kill('SIGTERM');
      assert.equal(await exited, 9);
      assert.equal(out, 'ready\ngot-term\n');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  /**
   * Runs `berth args` (or `docker args` when the last chunk is DOCKER) on a pty (util-linux script), typing each chunk a second
   * apart once container `name` is up (so the CLI is already in raw mode: typed
   * early, ctrl-q would be eaten by the outer terminal's flow control).
   */
  function onPty(args: string, name: string, ...rest: string[]): { code: number; out: string } {
    // The last argument may name the CLI on the pty (default: berth).
    const cli = rest.length > 1 && rest[rest.length - 1] === DOCKER ? rest.pop()! : undefined;
    const chunks = rest;
    const quoted = args.replace(/'/g, "'\\''");
    const berth = `${process.execPath} ${BERTH}`;
    const ready = `for i in $(seq 100); do ${berth} ps -q --filter name=${name} --filter status=running | grep -q . && break; sleep 0.3; done; sleep 2`;
    const feed = `(${ready}; ${chunks.map((k) => `printf '${k}'; sleep 1`).join('; ')}; sleep 1)`;
    const r = spawnSync('bash', ['-c', `${feed} | script -qec '${cli ?? berth} ${quoted}' /dev/null`], {
      env: { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host },
      timeout: 120_000,
    });
    return { code: r.status ?? -1, out: r.stdout.toString() };
  }

  it('run -it gives the container a terminal and returns its exit code', () => {
    const tname = uniq('tty');
    const r = onPty(`run -it --rm --name ${tname} busybox sh`, tname, 'tty\\nexit 6\\n');
    assert.equal(r.code, 6, r.out);
    assert.match(r.out, /\/dev\/pts\/\d+\r\n/);
    assert.doesNotMatch(r.out, /\r\r\n/, 'output processing is off while raw, as in docker');
  });

  it('exec -it runs on a terminal and returns the exit code', () => {
    const name = uniq('exectty');
    assert.equal(d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '300']).code, 0);
    const r = onPty(`exec -it ${name} sh`, name, 'tty\\nexit 4\\n');
    assert.equal(r.code, 4, r.out);
    assert.match(r.out, /\/dev\/pts\/\d+\r\n/);
    assert.doesNotMatch(r.out, /Detach/, 'the start body is not fed to the process');
    assert.equal(d.berth(['rm', '-f', name]).code, 0);
  });

  it('ctrl-p ctrl-q detaches from run -it, leaving the container running', () => {
    const name = uniq('detach');
    const r = onPty(`run -it --name ${name} busybox sh`, name, 'echo one\\n', '\\020\\021');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /one\r\n/);
    assert.match(d.berth(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout, /^Up /);
    assert.equal(d.berth(['rm', '-f', name]).code, 0);
  });

  it('attach to a -dit container: typed input reaches it; detach keys print docker\'s message, exit 1', () => {
    const name = uniq('attach');
    assert.equal(d.berth(['run', '-dit', '--name', name, 'busybox', 'sh']).code, 0);
    const a = onPty(`attach ${name}`, name, 'echo two\\n', '\\020\\021');
    assert.equal(a.code, 1, 'docker attach exits 1 after the escape sequence');
    assert.match(a.out, /two\r\n[^]*read escape sequence\r\n$/);
    assert.match(d.berth(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout, /^Up /);
    // Custom keys work the same way.
    const b = onPty(`attach --detach-keys ctrl-a,x ${name}`, name, 'echo three\\n', '\\001x');
    assert.equal(b.code, 1, b.out);
    assert.match(b.out, /three\r\n[^]*read escape sequence/);
    assert.equal(d.berth(['rm', '-f', name]).code, 0);
  });

  // conmon closes the container's stdin when any attach connection ends; berthd
  // holds the one connection, so a detach (ctrl-p ctrl-q) keeps stdin open.
  it('re-attach after detaching from run -it: the shell still reads and answers', () => {
    const name = uniq('reattach');
    const first = onPty(`run -it --name ${name} busybox sh`, name, 'echo one\\n', '\\020\\021');
    assert.match(first.out, /one\r\n/);
    const a = onPty(`attach ${name}`, name, 'echo two\\n', '\\020\\021');
    assert.match(a.out, /two\r\n[^]*read escape sequence/);
    const b = onPty(`attach ${name}`, name, 'echo three\\n', '\\020\\021');
    assert.match(b.out, /three\r\n[^]*read escape sequence/);
    assert.match(d.berth(['ps', '--filter', `name=${name}`, '--format', '{{.Status}}']).stdout, /^Up /);
    assert.equal(d.berth(['rm', '-f', name]).code, 0);
  });

  it('re-attach with the real docker CLI after run -it and after run -d -it', () => {
    const name = uniq('reattach-docker');
    const first = onPty(`run -it --name ${name} busybox sh`, name, 'echo one\\n', '\\020\\021', DOCKER);
    assert.match(first.out, /one\r\n/);
    const a = onPty(`attach ${name}`, name, 'echo two\\n', '\\020\\021', DOCKER);
    assert.match(a.out, /two\r\n[^]*read escape sequence/);
    assert.equal(d.docker(['rm', '-f', name]).code, 0);

    const dit = uniq('reattach-dit');
    assert.equal(d.docker(['run', '-d', '-it', '--name', dit, 'busybox', 'sh']).code, 0);
    for (const word of ['four', 'five']) {
      const r = onPty(`attach ${dit}`, dit, `echo ${word}\\n`, '\\020\\021', DOCKER);
      assert.match(r.out, new RegExp(`${word}\\r\\n[^]*read escape sequence`));
    }
    assert.equal(d.docker(['rm', '-f', dit]).code, 0);
  });

  it('stdin EOF still ends run -i with the real docker CLI (StdinOnce)', () => {
    const r = spawnSync(DOCKER, ['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], {
      input: 'hi\n',
      env: { ...process.env, DOCKER_HOST: d.host },
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr?.toString());
    assert.equal(r.stdout.toString(), 'hi\ndone\n');
  });
});
