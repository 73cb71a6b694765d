// `docker ps` and `docker inspect` against berthd: -a -q -n -l -s
// --no-trunc, every filter kind, --format, the inspect document's shape, and
// `container prune`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const tag = `t${process.pid}${Math.random().toString(36).slice(2, 6)}`;

describe('container list and inspect (docker CLI)', () => {
  let d: TestDaemon;
  const ps = (...args: string[]): string[] => {
    const r = d.docker(['ps', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  const ids: Record<string, string> = {};

  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    // Created, exited 0, exited 3, running (labelled, exposed, published), in that order.
    ids.created = d.docker(['create', '--name', `${tag}-created`, 'busybox', 'true']).stdout.trim();
    d.docker(['run', '--name', `${tag}-ok`, 'busybox', 'true']);
    d.docker(['run', '--name', `${tag}-bad`, 'busybox', 'sh', '-c', 'exit 3']);
    ids.ok = d.docker(['inspect', '-f', '{{.Id}}', `${tag}-ok`]).stdout.trim();
    ids.bad = d.docker(['inspect', '-f', '{{.Id}}', `${tag}-bad`]).stdout.trim();
    ids.run = d.docker([
      'run', '-d', '--name', `${tag}-run`, '--label', 'app=web', '--label', 'tier=front', '--expose', '8080',
      '--network', 'none', 'busybox', 'sleep', '120',
    ]).stdout.trim();
  });
  after(async () => {
    if (!d) return;
    const all = d.docker(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
    if (all.length) d.docker(['rm', '-f', ...all]);
    await d.stop();
  });

  it('ps shows running only; -a all, newest first; -q, -n, -l, --no-trunc', () => {
    assert.deepEqual(ps('-q'), [ids.run.slice(0, 12)]);
    assert.deepEqual(ps('-a', '-q', '--no-trunc'), [ids.run, ids.bad, ids.ok, ids.created]);
    assert.deepEqual(ps('-q', '-n', '2'), [ids.run.slice(0, 12), ids.bad.slice(0, 12)]);
    assert.deepEqual(ps('-q', '-l'), [ids.run.slice(0, 12)]);
    const table = ps('-a');
    assert.match(table[0], /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    assert.ok(table.some((l) => /Exited \(3\) .* ago/.test(l) && l.includes(`${tag}-bad`)));
    assert.ok(table.some((l) => / Created /.test(l) && l.includes(`${tag}-created`)));
    assert.ok(table.some((l) => /Up (Less than a second|\d+ seconds?)/.test(l) && l.includes(`${tag}-run`)));
  });

  it('ps -s shows sizes', () => {
    const r = ps('-a', '-s', '--filter', `name=${tag}-run`, '--format', '{{.Size}}');
    assert.match(r[0], /^\d+(\.\d+)?[kMG]?B \(virtual \d+(\.\d+)?[kMG]?B\)$/);
  });

  it('filters: status, exited, label, name, id, ancestor, before, since, expose, network', () => {
    const names = (...f: string[]): string[] =>
      ps('-a', ...f.flatMap((x) => ['--filter', x]), '--format', '{{.Names}}').filter((n) => n.startsWith(tag)).sort();
    assert.deepEqual(names('status=exited'), [`${tag}-bad`, `${tag}-ok`]);
    assert.deepEqual(names('status=created'), [`${tag}-created`]);
    assert.deepEqual(names('exited=3'), [`${tag}-bad`]);
    assert.deepEqual(names('label=app=web'), [`${tag}-run`]);
    assert.deepEqual(names('label=app', 'label=tier=back'), []);
    assert.deepEqual(names(`name=${tag}-b`), [`${tag}-bad`]);
    assert.deepEqual(names(`id=${ids.ok.slice(0, 10)}`), [`${tag}-ok`]);
    assert.equal(names('ancestor=busybox').length, 4);
    assert.deepEqual(names(`before=${tag}-ok`), [`${tag}-created`]);
    assert.deepEqual(names(`since=${tag}-bad`), [`${tag}-run`]);
    assert.deepEqual(names('expose=8080/tcp'), [`${tag}-run`]);
    assert.deepEqual(names('expose=8000-8100'), [`${tag}-run`]);
    assert.deepEqual(names('network=none'), [`${tag}-run`]);
    const bad = d.docker(['ps', '--filter', 'nope=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'nope'/);
  });

  it('--format with Go templates over the summary fields', () => {
    const [line] = ps('--filter', `name=${tag}-run`, '--format', '{{.ID}}|{{.Image}}|{{.Command}}|{{.Labels}}|{{.State}}');
    const [id, image, command, labels, state] = line.split('|');
    assert.equal(id, ids.run.slice(0, 12));
    assert.equal(image, 'busybox');
    assert.equal(command, '"sleep 120"');
    assert.match(labels, /app=web/);
    assert.equal(state, 'running');
  });

  it('inspect has Docker\'s shape and defaults', async () => {
    const [doc] = await d.client.json('GET', `/containers/json`, { query: { all: '1' } }).then(async () => [await d.client.json('GET', `/containers/${ids.run}/json`)]);
    for (const k of ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath', 'Name', 'RestartCount', 'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'ExecIDs', 'HostConfig', 'GraphDriver', 'Mounts', 'Config', 'NetworkSettings'])
      assert.ok(k in doc, `missing ${k}`);
    assert.equal(doc.Id, ids.run);
    assert.equal(doc.Path, 'sleep');
    assert.deepEqual(doc.Args, ['120']);
    assert.equal(doc.State.Status, 'running');
    assert.ok(doc.State.Pid > 0);
    assert.match(doc.Image, /^sha256:[0-9a-f]{64}$/);
    assert.equal(doc.Config.Image, 'busybox');
    assert.equal(doc.Config.Hostname, ids.run.slice(0, 12));
    assert.deepEqual(doc.Config.Labels, { app: 'web', tier: 'front' });
    assert.deepEqual(doc.Config.ExposedPorts, { '8080/tcp': {} });
    assert.equal(doc.HostConfig.NetworkMode, 'none');
    assert.deepEqual(doc.HostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.equal(doc.HostConfig.ShmSize, 67108864);
    assert.equal(doc.GraphDriver.Name, 'overlay2');
    assert.ok('none' in doc.NetworkSettings.Networks);
  });

  it('inspect of an unknown container is a 404 with Docker\'s message', async () => {
    const res = await d.client.open('GET', '/containers/nope-nope/json');
    res.resume();
    assert.equal(res.statusCode, 404);
    const r = d.docker(['container', 'inspect', 'nope-nope']);
    assert.match(r.stderr, /No such container: nope-nope/);
  });

  it('container prune removes stopped containers only', () => {
    const r = d.docker(['container', 'prune', '-f']);
    assert.equal(r.code, 0, r.stderr);
    for (const k of ['created', 'ok', 'bad']) assert.match(r.stdout, new RegExp(ids[k]));
    assert.deepEqual(ps('-a', '-q', '--no-trunc'), [ids.run]);
  });
});
