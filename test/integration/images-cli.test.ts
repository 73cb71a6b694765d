// Local image operations through the real docker CLI against berthd:
// import, images (filters, -q, --digests), inspect, tag, rmi (untag vs
// delete, conflicts), history, prune, events, survival across restarts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { busyboxTar } from '../support/images.js';

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed: ${r.stderr}`);
  return r.stdout;
}

describe('images through the docker CLI', () => {
  let d: TestDaemon;
  let tar: Buffer;
  let id: string;

  before(async () => {
    d = await startDaemon();
    tar = readFileSync(busyboxTar());
  });
  after(async () => {
    await d?.stop();
  });

  test('docker import reads the body, applies -c/-m and prints the image ID', () => {
    const out = ok(
      d.docker(
        [
          'import',
          '-c',
          'CMD ["sh"]',
          '-c',
          'ENV FOO=bar',
          '-c',
          'LABEL team=ops',
          '-m',
          'first',
          '-',
          'imp/bb:1',
        ],
        { input: tar },
      ),
      'import',
    );
    id = out.trim();
    assert.match(id, /^sha256:[a-f0-9]{64}$/);
    const [img] = JSON.parse(ok(d.docker(['image', 'inspect', 'imp/bb:1']), 'inspect'));
    assert.equal(img.Id, id);
    assert.deepEqual(img.RepoTags, ['imp/bb:1']);
    assert.deepEqual(img.RepoDigests, []);
    assert.equal(img.Comment, 'first');
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.deepEqual(img.Config.Env, ['FOO=bar']);
    assert.deepEqual(img.Config.Labels, { team: 'ops' });
    assert.equal(img.Os, 'linux');
    assert.equal(img.RootFS.Type, 'layers');
    assert.equal(img.RootFS.Layers.length, 1);
    assert.equal(img.GraphDriver.Name, 'overlay2');
    assert.ok(
      existsSync(path.join(img.GraphDriver.Data.UpperDir, 'bin/busybox')),
      'layer unpacked where inspect says',
    );
    assert.ok(img.Size > 500_000);
    assert.notEqual(img.Metadata.LastTagTime, '0001-01-01T00:00:00Z');
  });

  test('a gzip import of the same rootfs shares the layer; the default comment names the source', () => {
    const gid = ok(d.docker(['import', '-', 'imp/gz'], { input: gzipSync(tar) }), 'import gz').trim();
    const [img] = JSON.parse(ok(d.docker(['image', 'inspect', gid]), 'inspect'));
    const [first] = JSON.parse(ok(d.docker(['image', 'inspect', id]), 'inspect'));
    assert.deepEqual(img.RootFS.Layers, first.RootFS.Layers);
    assert.equal(img.Comment, 'Imported from -');
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'layers')).length, 1);
  });

  test('docker images lists, filters and quiets like Docker', () => {
    ok(d.docker(['tag', 'imp/bb:1', 'localhost:5000/team/app:v2']), 'tag');
    const table = ok(d.docker(['images']), 'images');
    assert.match(table, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
    assert.match(table, new RegExp(`^imp/bb\\s+1\\s+${id.slice(7, 19)}\\s`, 'm'));
    assert.match(table, new RegExp(`^localhost:5000/team/app\\s+v2\\s+${id.slice(7, 19)}\\s`, 'm'));
    const q = ok(d.docker(['images', '-q', '--no-trunc', 'imp/bb']), 'images -q')
      .trim()
      .split('\n');
    assert.deepEqual(q, [id]);
    const ref = ok(
      d.docker([
        'images',
        '--filter',
        'reference=localhost:5000/*/*',
        '--format',
        '{{.Repository}}:{{.Tag}}',
      ]),
      'reference',
    );
    assert.equal(ref.trim(), 'localhost:5000/team/app:v2');
    const lbl = ok(d.docker(['images', '-q', '--filter', 'label=team=ops']), 'label')
      .trim()
      .split('\n');
    assert.deepEqual([...new Set(lbl)], [id.slice(7, 19)]);
    assert.equal(ok(d.docker(['images', '-q', '--filter', 'label=team=dev']), 'label').trim(), '');
    assert.match(ok(d.docker(['images', '--digests']), 'digests'), /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID/m);
    const since = ok(d.docker(['images', '-q', '--filter', 'since=imp/bb:1']), 'since').trim();
    assert.ok(!since.includes(id.slice(7, 19)), 'since excludes the image itself');
    const bad = d.docker(['images', '--filter', 'nope=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid filter 'nope'/);
  });

  test('docker history shows the import comment and the layer size', () => {
    const out = ok(
      d.docker(['history', '--no-trunc', '--format', '{{.ID}}|{{.Comment}}|{{.Size}}', 'imp/bb:1']),
      'history',
    );
    const [line] = out.trim().split('\n');
    const [hid, comment, size] = line.split('|');
    assert.equal(hid, id);
    assert.equal(comment, 'first');
    assert.match(size, /MB$/);
  });

  test('docker rmi: by ID with several repositories is a conflict; by name it untags', () => {
    const c = d.docker(['rmi', id.slice(7, 19)]);
    assert.notEqual(c.code, 0);
    assert.match(
      c.stderr,
      new RegExp(
        `conflict: unable to delete ${id.slice(7, 19)} \\(must be forced\\) - image is referenced in multiple repositories`,
      ),
    );
    assert.equal(
      ok(d.docker(['rmi', 'localhost:5000/team/app:v2']), 'rmi tag').trim(),
      'Untagged: localhost:5000/team/app:v2',
    );
    ok(d.docker(['image', 'inspect', id]), 'still there');
  });

  test('docker rmi of the last tag deletes the image and its now unused layer', () => {
    ok(d.docker(['rmi', 'imp/gz']), 'rmi gz');
    const out = ok(d.docker(['rmi', 'imp/bb:1']), 'rmi last')
      .trim()
      .split('\n');
    assert.equal(out[0], 'Untagged: imp/bb:1');
    assert.equal(out[1], `Deleted: ${id}`);
    assert.match(out[2], /^Deleted: sha256:[a-f0-9]{64}$/);
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'layers')), []);
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'blobs', 'sha256')), []);
    const nf = d.docker(['rmi', 'imp/bb:1']);
    assert.notEqual(nf.code, 0);
    assert.match(nf.stderr, /No such image: imp\/bb:1/);
  });

  test('images used by containers: conflicts, force, and layers kept until the container goes', () => {
    const iid = ok(d.docker(['import', '-c', 'CMD ["sh"]', '-', 'used:1'], { input: tar }), 'import').trim();
    const short = iid.slice(7, 19);
    const cid = ok(d.docker(['create', '--name', 'images-cli-c1', 'used:1', 'true']), 'create').trim();
    const byName = d.docker(['rmi', 'used:1']);
    assert.equal(byName.code, 1);
    assert.match(
      byName.stderr,
      new RegExp(
        `conflict: unable to remove repository reference "used:1" \\(must force\\) - container ${cid.slice(0, 12)} is using its referenced image ${short}`,
      ),
    );
    const byId = d.docker(['rmi', short]);
    assert.match(
      byId.stderr,
      new RegExp(
        `conflict: unable to delete ${short} \\(must be forced\\) - image is being used by stopped container ${cid.slice(0, 12)}`,
      ),
    );

    const run = d.docker(['run', '-d', '--name', 'images-cli-r1', iid, 'sleep', '60']);
    if (run.code === 0) {
      const rid = run.stdout.trim();
      ok(d.docker(['rm', '-f', 'images-cli-c1']), 'rm c1');
      const hard = d.docker(['rmi', '-f', short]);
      assert.equal(hard.code, 1);
      assert.match(
        hard.stderr,
        new RegExp(
          `conflict: unable to delete ${short} \\(cannot be forced\\) - image is being used by running container ${rid.slice(0, 12)}`,
        ),
      );
      ok(d.docker(['rm', '-f', rid]), 'rm r1');
      ok(d.docker(['create', '--name', 'images-cli-c1', 'used:1', 'true']), 'create again');
    }
    // Forced: the image goes, the layer stays under the container.
    const forced = ok(d.docker(['rmi', '-f', short]), 'rmi -f');
    assert.match(forced, /Untagged: used:1/);
    assert.match(forced, new RegExp(`Deleted: ${iid}`));
    const layers = readdirSync(path.join(d.dataRoot, 'layers'));
    assert.equal(layers.length, 1, 'the container still holds its layer');
    ok(d.docker(['rm', 'images-cli-c1']), 'rm c1');
    const pruned = ok(d.docker(['image', 'prune', '-f']), 'prune');
    assert.match(pruned, new RegExp(`deleted: sha256:${layers[0]}`));
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'layers')), []);
  });

  test('dangling images and docker image prune', () => {
    const a = ok(d.docker(['import', '-', 'pr:1'], { input: tar }), 'import').trim();
    const b = ok(d.docker(['import', '-m', 'newer', '-', 'pr:1'], { input: tar }), 'import').trim();
    assert.notEqual(a, b);
    const dangling = ok(
      d.docker(['images', '-q', '--no-trunc', '--filter', 'dangling=true']),
      'dangling',
    ).trim();
    assert.equal(dangling, a);
    const table = ok(d.docker(['images']), 'images');
    assert.match(table, /^<none>\s+<none>\s+/m);
    const pruned = ok(d.docker(['image', 'prune', '-f']), 'prune');
    assert.match(pruned, new RegExp(`deleted: ${a}`));
    assert.match(
      pruned,
      /Total reclaimed space: 0B/,
      'the layer is shared with pr:1, so nothing is reclaimed',
    );
    assert.equal(ok(d.docker(['images', '-q', '--filter', 'dangling=true']), 'dangling').trim(), '');
    const all = ok(d.docker(['image', 'prune', '-a', '-f']), 'prune -a');
    assert.match(all, /untagged: pr:1/);
    assert.match(all, new RegExp(`deleted: ${b}`));
    assert.match(all, /Total reclaimed space: [1-9][\d.]*MB/);
  });

  test('docker image prune -a honours label and until filters', () => {
    const keep = ok(
      d.docker(['import', '-c', 'LABEL tier=keep', '-', 'pl:keep'], { input: tar }),
      'import',
    ).trim();
    const drop = ok(
      d.docker(['import', '-c', 'LABEL tier=drop', '-', 'pl:drop'], { input: tar }),
      'import',
    ).trim();
    const none = ok(d.docker(['image', 'prune', '-a', '-f', '--filter', 'until=1h']), 'prune until');
    assert.doesNotMatch(none, /deleted:/, 'nothing is older than an hour');
    const out = ok(d.docker(['image', 'prune', '-a', '-f', '--filter', 'label=tier=drop']), 'prune label');
    assert.match(out, new RegExp(`deleted: ${drop}`));
    assert.doesNotMatch(out, new RegExp(keep));
    assert.equal(ok(d.docker(['images', '-q', '--no-trunc', 'pl']), 'images').trim(), keep);
    ok(d.docker(['rmi', 'pl:keep']), 'cleanup');
  });

  test('errors: unknown image, bad reference, bad change', () => {
    const nf = d.docker(['image', 'inspect', 'nosuch']);
    assert.notEqual(nf.code, 0);
    assert.match(nf.stderr, /No such image: nosuch/);
    const up = d.docker(['tag', 'nosuch', 'x']);
    assert.match(up.stderr, /No such image: nosuch:latest/);
    const bad = d.docker(['import', '-c', 'RUN true', '-', 'x'], { input: tar });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /run is not a valid change command/);
  });

  test('image events: import, tag, untag, delete', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const iid = ok(d.docker(['import', '-', 'ev:1'], { input: tar }), 'import').trim();
    ok(d.docker(['tag', 'ev:1', 'ev:2']), 'tag');
    ok(d.docker(['rmi', 'ev:2']), 'untag');
    ok(d.docker(['rmi', 'ev:1']), 'delete');
    const ev = ok(
      d.docker([
        'events',
        '--since',
        String(since),
        '--until',
        String(Math.floor(Date.now() / 1000) + 1),
        '--filter',
        'type=image',
        '--format',
        '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}',
      ]),
      'events',
    );
    const lines = ev
      .trim()
      .split('\n')
      .filter((l) => l.includes(iid)); // earlier tests share the second
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['import', 'tag', 'untag', 'untag', 'delete'],
    );
    assert.equal(lines[0], `import ${iid} ${iid}`);
    assert.equal(lines[1], `tag ${iid} ev:2`);
  });

  test('images survive a restart, and a crash', async () => {
    const iid = ok(d.docker(['import', '-c', 'CMD ["sh"]', '-', 'keep:1'], { input: tar }), 'import').trim();
    await d.restart();
    const [img] = JSON.parse(ok(d.docker(['image', 'inspect', 'keep:1']), 'inspect after restart'));
    assert.equal(img.Id, iid);
    assert.deepEqual(img.Config.Cmd, ['sh']);
    await d.kill('SIGKILL');
    await d.restart();
    assert.equal(ok(d.docker(['images', '-q', '--no-trunc', 'keep']), 'images').trim(), iid);
    const info = await d.client.json<{ Images: number }>('GET', '/info');
    assert.ok(info.Images >= 1);
  });
});
