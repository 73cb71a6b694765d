// berth version / info / events against the real docker CLI v28 on the same
// berthd: the server sections, --format output and event lines must match.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon, type RunResult, BERTH, ROOT } from '../support/daemon.js';
import { spawnSync } from 'node:child_process';
import { readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const asBerth = (s: string): string => s.replace(/\bdocker(?=[ :'])/g, 'berth');

describe('berth system commands match docker', () => {
  let d: TestDaemon;
  const same = (args: string[]): RunResult => {
    const b = d.berth(args);
    const k = d.docker(args);
    assert.equal(b.code, k.code, `exit code of ${args.join(' ')}: ${b.stderr}`);
    assert.equal(b.stdout, asBerth(k.stdout), `stdout of ${args.join(' ')}`);
    assert.equal(b.stderr, asBerth(k.stderr), `stderr of ${args.join(' ')}`);
    return b;
  };

  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
  });

  test('version: the Server section and --format', () => {
    const server = (s: string): string => s.slice(s.indexOf('\nServer:'));
    const b = d.berth(['version']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(server(b.stdout), server(d.docker(['version']).stdout));
    assert.match(b.stdout, /^Client:\n Version: {11}\S+\n API version: {7}1\.51\n/);
    same([
      'version',
      '--format',
      '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}',
    ]);
    same(['version', '--format', '{{json .Server.Components}}']);
    same([
      'version',
      '--format',
      '{{range .Server.Components}}{{.Name}}={{.Version}};{{end}}\\t{{.Server.KernelVersion}}',
    ]);
    assert.equal(same(['version', 'extra']).code, 1);
    assert.equal(same(['version', '--bogus']).code, 125);
    const bad = d.berth(['version', '--format', '{{.Server.Version']);
    assert.equal(bad.code, 64);
  });

  test('info: the Server section, --format, json with ClientInfo', () => {
    const b = d.berth(['info']);
    const k = d.docker(['info']);
    assert.equal(b.code, 0, b.stderr);
    const withoutClientVersion = (s: string): string => s.replace(/^( Version: +).*$/m, '$1');
    assert.equal(withoutClientVersion(b.stdout), withoutClientVersion(k.stdout));
    same([
      'info',
      '--format',
      '{{.ServerVersion}} {{.Images}} {{.Driver}} {{json .Plugins}} {{.DockerRootDir}}',
    ]);
    same(['info', '--format', '{{json .RegistryConfig}} {{.Swarm.LocalNodeState}} {{len .DriverStatus}}']);
    const j = JSON.parse(d.berth(['info', '--format', 'json']).stdout);
    assert.equal(j.Driver, 'overlay2');
    assert.equal(j.ClientInfo.Context, 'default');
    assert.equal(same(['info', 'extra']).code, 1);
    assert.equal(same(['info', '--format', '{{.NoSuchField}}']).code, 1);
    assert.equal(same(['info', '--format', '{{.ID']).code, 64);
    assert.equal(same(['version', '--format', '{{.ID']).code, 64);
    assert.equal(same(['events', '--format', '{{.ID', '--since', '1', '--until', '2']).code, 64);
  });

  test('info and version without a daemon: client part, then the error, exit 1', () => {
    const env = {
      ...process.env,
      BERTH_HOST: 'unix:///nonexistent/berth.sock',
      DOCKER_HOST: 'unix:///nonexistent/berth.sock',
    };
    const r = spawnSync(process.execPath, [BERTH, 'info'], { env, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^Client:\n[\s\S]*\nServer:\n$/);
    assert.match(r.stderr, /Cannot connect to the berth daemon at unix:\/\/\/nonexistent\/berth\.sock/);
    const v = spawnSync(process.execPath, [BERTH, 'version'], { env, encoding: 'utf8' });
    assert.equal(v.status, 1);
    assert.match(v.stdout, /^Client:\n/);
    assert.doesNotMatch(v.stdout, /Server:/);
  });

  test('bin/berth launcher: through a symlink, code-cached build, same output as the bundle', async () => {
    const link = path.join(d.dir, 'berth');
    symlinkSync(path.join(ROOT, 'bin/berth'), link);
    const env = { ...process.env, BERTH_HOST: d.host, DOCKER_HOST: d.host };
    const args = ['version', '--format', '{{.Server.Version}} {{.Client.Version}}'];
    const viaLauncher = spawnSync(link, args, { env, encoding: 'utf8' });
    const viaBundle = spawnSync(process.execPath, [BERTH, ...args], { env, encoding: 'utf8' });
    assert.equal(viaLauncher.status, 0, viaLauncher.stderr);
    assert.equal(viaLauncher.stdout, viaBundle.stdout);
    const again = spawnSync(link, ['images', '--format', '{{.ID}}'], { env, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.ok(
      readdirSync(path.join(ROOT, 'dist')).some((f) => /^berth\.cjs\..*\.cache$/.test(f)),
      'a code cache was written',
    );
    const usage = spawnSync(link, ['images', '--bogus'], { env, encoding: 'utf8' });
    assert.equal(usage.status, 125);
    // save and load reach code with a dynamic import(), which vm.Script
    // refuses unless the loader gives it an import callback.
    const { ensureBusybox } = await import('../support/images.js');
    await ensureBusybox(d);
    const archive = path.join(d.dir, 'launcher-save.tar');
    const saved = spawnSync(link, ['save', '-o', archive, 'busybox'], { env, encoding: 'utf8' });
    assert.equal(saved.status, 0, saved.stderr);
    const loaded = spawnSync(link, ['load', '-i', archive], { env, encoding: 'utf8' });
    assert.equal(loaded.status, 0, loaded.stderr);
    assert.match(loaded.stdout, /Loaded image: busybox:latest/);
  });

  test('events: a bounded --since/--until window, --filter, --format, relative times', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    // Image events need an image: tag and untag a fresh import.
    const { ensureBusybox } = await import('../support/images.js');
    await ensureBusybox(d);
    await d.client
      .call('POST', '/images/busybox/tag', { query: { repo: 'cli-events', tag: 'one' } })
      .then((r) => r.resume());
    await d.client.delete('/images/cli-events:one');
    await new Promise((r) => setTimeout(r, 1100));
    const until = String(Math.floor(Date.now() / 1000));
    const window = ['--since', String(since), '--until', until];
    const lines = same(['events', ...window])
      .stdout.trim()
      .split('\n');
    assert.ok(
      lines.some((l) => / image tag sha256:[0-9a-f]{64} \(name=cli-events:one\)$/.test(l)),
      lines.join('\n'),
    );
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) image /);
    same(['events', ...window, '--format', '{{json .}}']);
    same([
      'events',
      ...window,
      '--format',
      '{{.Type}} {{.Action}} {{.Status}} {{.Actor.Attributes.name}} {{.TimeNano}}',
    ]);
    same(['system', 'events', ...window, '--filter', 'event=untag', '--filter', 'type=image']);
    same(['events', '--since', '10m', '--until', '0s', '--filter', 'event=tag']);
    assert.equal(same(['events', '--filter', 'novalue']).code, 125);
    assert.equal(same(['events', '--since', 'yesterday']).code, 1);
  });
});
