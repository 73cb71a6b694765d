// The test/base image: the busybox rootfs tar is laid out like the official
// image, and imports through POST /images/create (what `docker import` sends).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { busyboxTar, ensureBusybox, splitRef } from '../support/images.js';

function tarListing(tar: string): string[] {
  const r = spawnSync('tar', ['--list', '--verbose', '--numeric-owner', '--full-time', '--file', tar], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

function extract(tar: string, member: string): string {
  const r = spawnSync('tar', ['--extract', '--to-stdout', '--file', tar, member], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('busybox base image', () => {
  test('the rootfs tar holds busybox, its applets, users and the usual directories', () => {
    const tar = busyboxTar();
    assert.equal(busyboxTar(), tar, 'built once, then cached');
    const lines = tarListing(tar);
    const byName = new Map(lines.map((l) => [l.split(/\s+/)[5].replace(/^\.\//, ''), l]));
    for (const l of lines) {
      assert.match(l, /^\S+ 0\/0 /, `owned by root: ${l}`);
      assert.match(l, / 1970-01-01 00:00:00 /, `deterministic mtime: ${l}`);
    }
    // Every applet busybox knows is there, as a link to the one binary.
    const applets = spawnSync('/bin/busybox', ['--list-full'], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    assert.ok(applets.length > 100);
    for (const a of applets) assert.ok(byName.has(a), `applet ${a} missing`);
    assert.match(byName.get('bin/sh')!, /^h|^-rwx/);
    for (const d of ['root/', 'home/', 'var/', 'etc/', 'proc/', 'sys/', 'dev/'])
      assert.ok(byName.has(d), `${d} missing`);
    assert.match(byName.get('tmp/')!, /^drwxrwxrwt /);
    assert.match(byName.get('root/')!, /^drwx------ /);

    const passwd = extract(tar, './etc/passwd');
    assert.match(passwd, /^root:x:0:0:/m);
    assert.match(passwd, /^nobody:x:65534:65534:/m);
    assert.match(passwd, /^[a-z]+:x:1000:1000:/m);
    const group = extract(tar, './etc/group');
    assert.match(group, /^root:x:0:/m);
    assert.match(group, /^[a-z]+:x:1000:/m);
    assert.match(group, /^nogroup:x:65534:/m);
    assert.ok(byName.has('etc/hostname'));
  });

  test('splitRef keeps registry ports out of the tag', () => {
    assert.deepEqual(splitRef('busybox'), { repo: 'busybox', tag: 'latest' });
    assert.deepEqual(splitRef('busybox:1.36'), { repo: 'busybox', tag: '1.36' });
    assert.deepEqual(splitRef('localhost:5000/bb'), { repo: 'localhost:5000/bb', tag: 'latest' });
    assert.deepEqual(splitRef('localhost:5000/bb:v2'), { repo: 'localhost:5000/bb', tag: 'v2' });
  });

  describe('import into berthd', () => {
    let d: TestDaemon;
    before(async () => {
      d = await startDaemon();
    });
    after(async () => {
      await d?.stop();
    });

    test('ensureBusybox imports busybox:latest with CMD ["sh"] and one layer that is the tar', async () => {
      const id = await ensureBusybox(d);
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      assert.equal(await ensureBusybox(d), id, 'a second call finds the image');
      const inspect = JSON.parse(d.docker(['image', 'inspect', 'busybox:latest']).stdout)[0];
      assert.equal(inspect.Id, id);
      assert.deepEqual(inspect.Config.Cmd, ['sh']);
      assert.equal(inspect.Os, 'linux');
      const diffId = 'sha256:' + createHash('sha256').update(readFileSync(busyboxTar())).digest('hex');
      assert.deepEqual(inspect.RootFS.Layers, [diffId]);
      const images = d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.match(images.stdout, /^busybox:latest$/m);
    });

    test('a second name for the same tar gives the same layer', async () => {
      await ensureBusybox(d, 'localhost:5000/tools/bb:v1');
      const a = JSON.parse(d.docker(['image', 'inspect', 'localhost:5000/tools/bb:v1']).stdout)[0];
      const b = JSON.parse(d.docker(['image', 'inspect', 'busybox:latest']).stdout)[0];
      assert.deepEqual(a.RootFS.Layers, b.RootFS.Layers);
    });
  });
});
