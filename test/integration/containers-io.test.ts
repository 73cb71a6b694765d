// Container I/O through the real docker CLI: logs (-f --tail --since --until
// -t), attach, exec (-d -i -t -u -w -e, exit codes), top, stats, `run -it`
// through a pty (util-linux `script`), and the multiplexed stream framing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { startDaemon, DOCKER, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { readAll } from '../../src/client/client.js';
import { demultiplex } from '../../src/api/streams.js';

const uniq = (p: string): string => `${p}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('container I/O (docker CLI)', () => {
  let d: TestDaemon;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` });

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

  // json-file's max-file: the current file plus max-file - 1 older ones, shown in order.
  it('logs: --log-opt max-size/max-file keep older generations, read back in order', async () => {
    const name = uniq('rotate');
    const script = 'i=1; while [ $i -le 240 ]; do echo line-$i-0123456789abcdef; [ $((i % 12)) = 0 ] && sleep 0.4; i=$((i+1)); done';
    const r = d.docker(['run', '--name', name, '--log-opt', 'max-size=1k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const id = d.docker(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
    const dir = `${d.dataRoot}/containers/${id}`;
    const files = readdirSync(dir).filter((f) => f.startsWith('container.log')).sort();
    assert.deepEqual(files, ['container.log', 'container.log.1', 'container.log.2'], 'two older generations kept, no third');
    const lines = d.docker(['logs', name]).stdout.trim().split('\n');
    const nums = lines.map((l) => Number(/^line-(\d+)-0123456789abcdef$/.exec(l)?.[1]));
    assert.equal(nums[nums.length - 1], 240, lines.slice(-3).join(','));
    // More lines than one 1 KiB file holds (~15), consecutive: nothing lost inside the kept files.
    assert.ok(nums.length > 20, `only ${nums.length} lines`);
    nums.forEach((n, i) => assert.equal(n, nums[0] + i, `gap at ${i}: ${lines.slice(Math.max(0, i - 2), i + 2).join(',')}`));
    assert.ok(nums[0] > 1, 'the oldest generations were dropped');
  });

  it('logs: stdout/stderr apart, --tail, -t, --since/--until', async () => {
    const name = uniq('logs');
    // The pauses fix the order in the log (conmon reads stdout and stderr
    // apart, so lines written at the same moment may land either way).
    const r = d.docker(['run', '--name', name, 'busybox', 'sh', '-c', 'echo a; echo b >&2; sleep 0.2; echo c; sleep 1.2; echo d']);
    assert.equal(r.code, 0, r.stderr);
    const all = d.docker(['logs', name]);
    assert.equal(all.stdout, 'a\nc\nd\n');
    assert.equal(all.stderr, 'b\n');
    assert.equal(d.docker(['logs', '--tail', '1', name]).stdout, 'd\n');
    const ts = d.docker(['logs', '-t', '--tail', '2', name]).stdout.split('\n').filter(Boolean);
    // --tail counts entries of both streams (as moby does): the last two are c and d.
    assert.deepEqual(ts.map((l) => l.split(' ')[1]), ['c', 'd']);
    for (const l of ts) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z [a-d]$/);
    // since the time of "d" minus a little: only d; until before it: a, c.
    const dTime = Date.parse(ts[ts.length - 1].split(' ')[0].replace(/(\.\d{3})\d+/, '$1'));
    const since = ((dTime - 500) / 1000).toFixed(3);
    assert.equal(d.docker(['logs', '--since', since, name]).stdout, 'd\n');
    assert.equal(d.docker(['logs', '--until', since, name]).stdout, 'a\nc\n');
  });

  it('logs --details: the log-opt attributes, or nothing, and a space before each line', async () => {
    const plain = uniq('details');
    assert.equal(d.docker(['run', '--name', plain, 'busybox', 'echo', 'hi']).code, 0);
    assert.equal(d.docker(['logs', '--details', plain]).stdout, ' hi\n');
    const tagged = uniq('details');
    const r = d.docker(['run', '--name', tagged, '--label', 'app=web', '-e', 'TIER=a b', '--log-opt', 'labels=app', '--log-opt', 'env=TIER', 'busybox', 'echo', 'hi']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(d.docker(['logs', '--details', tagged]).stdout, 'TIER=a+b,app=web hi\n');
    assert.match(d.docker(['logs', '--details', '-t', tagged]).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z TIER=a\+b,app=web hi\n$/);
  });

  it('logs -f follows until the container exits', async () => {
    const name = uniq('follow');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo n$i; sleep 0.5; done']);
    const t0 = Date.now();
    const r = d.docker(['logs', '-f', name]);
    assert.equal(r.stdout, 'n1\nn2\nn3\n');
    assert.ok(Date.now() - t0 >= 500, 'follow returned before the container finished');
  });

  it('the logs API frames stdout and stderr (8-byte headers)', async () => {
    const name = uniq('frames');
    d.docker(['run', '--name', name, 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    const res = await d.client.open('GET', `/v1.51/containers/${name}/logs`, { query: { stdout: true, stderr: true } });
    assert.equal(res.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    const { stdout, stderr, frames } = demultiplex(await readAll(res));
    assert.equal(stdout, 'out\n');
    assert.equal(stderr, 'err\n');
    assert.deepEqual(frames.map((f) => f.stream).sort(), [1, 2]);
  });

  it('exec: exit codes, -e, -w, -u, -i, -d', () => {
    const name = uniq('exec');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    assert.equal(d.docker(['exec', name, 'sh', '-c', 'exit 7']).code, 7);
    assert.equal(d.docker(['exec', '-e', 'FOO=bar', '-w', '/tmp', name, 'sh', '-c', 'echo $FOO $(pwd)']).stdout, 'bar /tmp\n');
    assert.equal(d.docker(['exec', '-u', 'user', name, 'id', '-u']).stdout, '1000\n');
    assert.equal(d.docker(['exec', '-i', name, 'cat'], { input: 'piped\n' }).stdout, 'piped\n');
    const nf = d.docker(['exec', name, 'no-such-cmd']);
    assert.equal(nf.code, 127, nf.stderr + nf.stdout);
    assert.equal(d.docker(['exec', '-d', name, 'sh', '-c', 'echo bg > /tmp/bg']).code, 0);
    let found = '';
    for (let i = 0; i < 20 && !found; i++) found = d.docker(['exec', name, 'cat', '/tmp/bg']).stdout;
    assert.equal(found, 'bg\n');
    const stopped = uniq('stopped');
    d.docker(['create', '--name', stopped, 'busybox', 'true']);
    const e = d.docker(['exec', stopped, 'true']);
    assert.notEqual(e.code, 0);
    assert.match(e.stderr, /is not running/);
  });

  it('exec -t runs with a tty', () => {
    const name = uniq('exectty');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '60']);
    const r = spawnSync('script', ['-q', '-e', '-c', `${DOCKER} exec -t ${name} sh -c 'tty; exit 3'`, '/dev/null'], { env: env(), timeout: 30_000 });
    assert.equal(r.status, 3, String(r.stderr));
    assert.match(String(r.stdout), /\/dev\/pts\/\d+/);
  });

  it('run -it: a shell round trip through a pty', () => {
    const r = spawnSync('script', ['-q', '-e', '-c', `${DOCKER} run -it --rm busybox sh`, '/dev/null'], {
      env: env(),
      input: 'echo hi-$((40+2))\nexit 4\n',
      timeout: 30_000,
    });
    assert.equal(r.status, 4, String(r.stdout) + String(r.stderr));
    assert.match(String(r.stdout), /hi-42/);
  });

  it('attach to a running container sees new output; detach keys leave it running', async () => {
    const name = uniq('att');
    d.docker(['run', '-d', '-it', '--name', name, 'busybox', 'sh']);
    const p = spawn('script', ['-q', '-c', `${DOCKER} attach ${name}`, '/dev/null'], { env: env() });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number>((r) => p.once('exit', (c) => r(c ?? -1)));
    try {
      await sleep(1500);
      p.stdin.write('echo attached-$((6*7))\r');
      for (let i = 0; i < 50 && !out.includes('attached-42'); i++) await sleep(100);
      assert.match(out, /attached-42/);
      p.stdin.write('\x10\x11'); // ctrl-p ctrl-q
      const code = await Promise.race([exited, sleep(10_000).then(() => -2)]);
      assert.notEqual(code, -2, 'attach did not detach');
    } finally {
      p.kill('SIGKILL');
    }
    assert.equal(d.docker(['inspect', '-f', '{{.State.Running}}', name]).stdout.trim(), 'true');
  });

  it('top and stats --no-stream', () => {
    const name = uniq('top');
    d.docker(['run', '-d', '--name', name, 'busybox', 'sleep', '61']);
    const top = d.docker(['top', name]);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /PID/);
    assert.match(top.stdout, /sleep 61/);
    const st = d.docker(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}} {{.MemUsage}}', name]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`^${name} 1 \\d`));
  });

  it('events report the lifecycle with Docker\'s attributes', async () => {
    const name = uniq('ev');
    const since = Math.floor(Date.now() / 1000) - 1;
    d.docker(['run', '--name', name, '--label', 'team=blue', 'busybox', 'sh', '-c', 'exit 2']);
    d.docker(['rm', name]);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = d.docker(['events', '--since', String(since), '--until', String(until), '--filter', `container=${name}`, '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.team}}']);
    const lines = r.stdout.trim().split('\n');
    const actions = lines.map((l) => l.split(' ')[0]);
    for (const a of ['create', 'attach', 'start', 'die', 'destroy']) assert.ok(actions.includes(a), `${a} missing in ${r.stdout}`);
    assert.ok(lines.some((l) => l.startsWith(`die ${name} 2 blue`)), r.stdout);
  });
});
