// The berth CLI's image commands against the real docker CLI v28, both
// talking to the same berthd: outputs must match line for line (after
// swapping the program name and masking relative times).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon, type RunResult } from '../support/daemon.js';
import { busyboxTar, ensureBusybox } from '../support/images.js';

/** docker's output as berth would print it. */
const asBerth = (s: string): string => s.replace(/\bdocker(?=[ :'])/g, 'berth');
/** Relative times change from one second to the next; sizes of the column with them too. */
const maskTimes = (s: string): string =>
  s
    .replace(
      /(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?) ago/g,
      '<ago>',
    )
    .replace(/ {2,}/g, '  ');

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

describe('berth image commands match docker', () => {
  let d: TestDaemon;
  let tar: string;
  const both = (args: string[], input?: Buffer): { berth: RunResult; docker: RunResult } => ({
    berth: d.berth(args, { input }),
    docker: d.docker(args, { input }),
  });
  const same = (args: string[], mask: (s: string) => string = (s) => s): RunResult => {
    const r = both(args);
    assert.equal(r.berth.code, r.docker.code, `exit code of ${args.join(' ')}: ${r.berth.stderr}`);
    assert.equal(mask(r.berth.stdout), mask(asBerth(r.docker.stdout)), `stdout of ${args.join(' ')}`);
    assert.equal(r.berth.stderr, asBerth(r.docker.stderr), `stderr of ${args.join(' ')}`);
    return r.berth;
  };

  before(async () => {
    d = await startDaemon();
    tar = busyboxTar();
    await ensureBusybox(d);
  });
  after(async () => {
    await d?.stop();
  });

  test('import: file and stdin, -c and -m, prints the new image ID', async () => {
    const out = ok(
      d.berth(['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=1', '-m', 'from berth', tar, 'cli-imp:one']),
      'import',
    );
    assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
    const img = await d.client.get(`/images/cli-imp:one/json`);
    assert.equal(img.Id, out.trim());
    assert.equal(img.Comment, 'from berth');
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.ok(img.Config.Env.includes('A=1'));
    const fromStdin = ok(d.berth(['import', '-', 'cli-imp:stdin'], { input: readFileSync(tar) }), 'import -');
    assert.match(fromStdin, /^sha256:[0-9a-f]{64}\n$/);
    const missing = both(['import', '/nonexistent.tar']);
    assert.equal(missing.berth.code, 1);
    assert.equal(missing.berth.stderr, missing.docker.stderr);
  });

  test('images: default table, custom table, json, -q, --no-trunc, --digests, filters', () => {
    same(['images'], maskTimes);
    same(['images', '--format', 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.Size}}']);
    same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Containers}} {{.VirtualSize}}']);
    same(['images', '--format', 'json'], (s) => s.replace(/"CreatedSince":"[^"]*"/g, ''));
    same(['images', '-q']);
    same(['images', '-q', '--no-trunc']);
    same(['images', '-a', '--digests'], maskTimes);
    same(['images', '--no-trunc'], maskTimes);
    same(['images', 'busybox'], maskTimes);
    same(['images', '--filter', 'reference=cli-imp:*', '--format', '{{.Tag}}']);
    same(['images', '--filter', 'dangling=true', '-q']);
    // Template errors: parse and execution, docker's texts and exit 1.
    same(['images', '--format', '{{.NoSuchField}}']);
    same(['images', '--format', '{{.ID']);
    same(['history', '--format', '{{.NoSuchField}}', 'busybox']);
    // docker's usage errors, exit 125 for flags and 1 for argument counts.
    assert.equal(same(['images', '--nope']).code, 125);
    assert.equal(same(['images', '-z']).code, 125);
    assert.equal(same(['images', 'a', 'b']).code, 1);
  });

  test('history: human and raw, --no-trunc, -q, --format', () => {
    same(['history', 'cli-imp:one'], maskTimes);
    same(['history', '-H=false', 'cli-imp:one']);
    same(['history', '--human=false', '--no-trunc', 'busybox']);
    same(['history', '-q', 'busybox']);
    same(['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Comment}}|{{.Size}}', 'cli-imp:one']);
    same(['history', '--format', 'json', 'busybox'], (s) => s.replace(/"CreatedSince":"[^"]*"/g, ''));
    assert.equal(same(['history', 'no-such-image']).code, 1);
    assert.equal(same(['history']).code, 1);
  });

  test('tag and rmi print what docker prints', () => {
    for (const who of ['berth', 'docker'] as const) {
      ok(d[who](['tag', 'busybox', `cli-tag-${who}:a`]), `${who} tag`);
      ok(d[who](['image', 'tag', 'busybox', `cli-tag-${who}`]), `${who} image tag`);
    }
    const b = d.berth(['rmi', 'cli-tag-berth:a', 'cli-tag-berth:latest']);
    const k = d.docker(['rmi', 'cli-tag-docker:a', 'cli-tag-docker:latest']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, k.stdout.replace(/cli-tag-docker/g, 'cli-tag-berth'));
    assert.equal(b.stdout, 'Untagged: cli-tag-berth:a\nUntagged: cli-tag-berth:latest\n');
    same(['tag', 'no-such-image', 'x:y']);
    same(['tag', 'busybox', 'UPPER']);
    same(['tag', 'busybox', 'a b']);
    same(['tag', 'busybox', `x@sha256:${'0'.repeat(64)}`]);
    assert.equal(same(['tag', 'onlyone']).code, 1);
    assert.equal(same(['rmi', 'no-such-image']).code, 1);
    assert.equal(same(['rmi', '-f', 'no-such-image']).code, 0);
    assert.equal(same(['rmi']).code, 1);
    // Removing the last tag deletes the image.
    ok(d.berth(['import', tar, 'cli-rm:last']), 'import');
    const gone = ok(d.berth(['image', 'rm', 'cli-rm:last']), 'image rm');
    assert.match(gone, /^Untagged: cli-rm:last\nDeleted: sha256:[0-9a-f]{64}\n/);
  });

  test('image inspect and inspect: JSON, templates, errors', () => {
    same(['image', 'inspect', 'busybox']);
    same(['inspect', 'busybox', 'cli-imp:one']);
    same([
      'image',
      'inspect',
      '-f',
      '{{.Id}} {{json .Config.Cmd}} {{.Comment}} {{index .RepoTags 0}}',
      'busybox',
      'cli-imp:one',
    ]);
    same(['inspect', '--format', '{{range .RepoTags}}{{.}},{{end}}', 'busybox']);
    same(['image', 'inspect', '-f', '{{.Config.NoSuchKey}}', 'busybox']);
    same(['image', 'inspect', 'no-such-image']);
    same(['inspect', 'no-such-object']);
    same(['inspect', '--type', 'image', 'no-such-image']);
    same(['inspect', '--type', 'bogus', 'busybox']);
  });

  test('save to stdout and -o; load from stdin and -i, -q; refusing a terminal is checked by save', () => {
    const viaStdout = d.berth(['save', 'busybox']);
    assert.equal(viaStdout.code, 0, viaStdout.stderr);
    const dockerSaved = path.join(d.dir, 'docker-save.tar');
    ok(d.docker(['save', '-o', dockerSaved, 'busybox']), 'docker save');
    assert.ok(Buffer.from(viaStdout.stdout, 'latin1').length > 1_000_000);
    const berthSaved = path.join(d.dir, 'berth-save.tar');
    ok(d.berth(['save', '-o', berthSaved, 'busybox']), 'berth save -o');
    assert.deepEqual(readFileSync(berthSaved), readFileSync(dockerSaved));

    ok(d.berth(['tag', 'busybox', 'cli-load:keep']), 'tag');
    ok(d.berth(['rmi', 'cli-load:keep']), 'rmi');
    const loaded = both(['load', '-i', berthSaved]);
    assert.equal(loaded.berth.code, 0, loaded.berth.stderr);
    assert.equal(loaded.berth.stdout, loaded.docker.stdout);
    assert.equal(loaded.berth.stdout, 'Loaded image: busybox:latest\n');
    const fromStdin = d.berth(['load', '-q'], { input: readFileSync(berthSaved) });
    assert.equal(fromStdin.stdout, 'Loaded image: busybox:latest\n', fromStdin.stderr);
    const notTar = path.join(d.dir, 'not-a-tar');
    writeFileSync(notTar, 'hello\n');
    const bad = both(['load', '-i', notTar]);
    assert.equal(bad.berth.code, 1);
    assert.equal(bad.berth.stderr, bad.docker.stderr);
    assert.equal(same(['load', 'extra']).code, 1);
    assert.equal(same(['save']).code, 1);
  });

  test('image prune: prompt, -f, report', () => {
    const dangling = ok(d.berth(['import', tar]), 'import untagged').trim();
    const no = d.berth(['image', 'prune'], { input: 'n\n' });
    assert.equal(no.code, 0);
    assert.equal(
      no.stdout,
      'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ',
    );
    assert.ok(
      ok(d.berth(['images', '-q', '--no-trunc']), 'images').includes(dangling),
      'declined prune kept the image',
    );
    const yes = d.berth(['image', 'prune'], { input: 'y\n' });
    assert.equal(
      yes.stdout,
      'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ' +
        `Deleted Images:\ndeleted: ${dangling}\n\nTotal reclaimed space: 0B\n`,
    );
    same(['image', 'prune', '-f']);
    assert.equal(same(['image', 'prune', 'x']).code, 1);
  });
});
