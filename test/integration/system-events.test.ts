// `docker events` against berthd: the since/until window, filters, the text
// format, and live streaming, with image events (import, tag, untag) as the
// source.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { DOCKER, startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { assertMatchesSchema } from '../support/schema.js';

describe('docker events', () => {
  let d: TestDaemon;
  let t0: number;
  let t1: number;
  let imageId: string;
  before(async () => {
    d = await startDaemon();
    t0 = Math.floor(Date.now() / 1000) - 1;
    imageId = await ensureBusybox(d);
    for (const args of [
      ['tag', 'busybox', 'evt-a:1'],
      ['tag', 'busybox', 'evt-b:1'],
      ['rmi', 'evt-a:1'],
    ]) {
      const r = d.docker(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    t1 = Math.ceil(Date.now() / 1000) + 1;
  });
  after(async () => {
    await d?.stop();
  });

  const window = (...extra: string[]): any[] => {
    const r = d.docker([
      'events',
      '--since',
      String(t0),
      '--until',
      String(t1),
      '--format',
      '{{json .}}',
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  };

  test('since/until replays what happened, in order, and exits', () => {
    const evs = window().filter((e) => e.Type === 'image');
    assert.deepEqual(
      evs.map((e) => e.Action),
      ['import', 'tag', 'tag', 'untag'],
    );
    assert.deepEqual(
      evs.slice(1, 3).map((e) => e.Actor.Attributes.name),
      ['evt-a:1', 'evt-b:1'],
    );
    for (const e of evs) {
      // status/id/from are the legacy fields Docker still sends for images and containers.
      assertMatchesSchema(e, '#/definitions/EventMessage', { allowExtra: ['status', 'id', 'from'] });
      assert.equal(e.Actor.ID, imageId);
      assert.equal(e.scope, 'local');
      assert.ok(e.time >= t0 && e.time <= t1);
    }
  });

  test('filters narrow the window', () => {
    assert.deepEqual(
      window('--filter', 'event=tag').map((e) => e.Actor.Attributes.name),
      ['evt-a:1', 'evt-b:1'],
    );
    assert.deepEqual(window('--filter', 'type=container'), []);
    assert.deepEqual(
      window('--filter', 'image=evt-b:1').map((e) => e.Action),
      ['tag'],
    );
    assert.deepEqual(
      window('--filter', 'event=untag', '--filter', 'event=import').map((e) => e.Action),
      ['import', 'untag'],
    );
  });

  test("the default text format is docker's", () => {
    const r = d.docker(['events', '--since', String(t0), '--until', String(t1), '--filter', 'event=tag']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(
      lines[0],
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}(Z|[+-]\\d\\d:\\d\\d) image tag ${imageId} \\(name=evt-a:1\\)$`,
      ),
    );
  });

  test("a bad filter is refused with docker's message", () => {
    const r = d.docker(['events', '--until', '0s', '--filter', 'colour=red']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /invalid filter 'colour'/);
  });

  test('events stream live to a listening client', async () => {
    const until = Math.floor(Date.now() / 1000) + 4;
    const child = spawn(
      DOCKER,
      [
        'events',
        '--until',
        String(until),
        '--filter',
        'type=image',
        '--format',
        '{{.Action}} {{.Actor.Attributes.name}}',
      ],
      {
        env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: `${d.dir}/docker-config` },
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await new Promise((r) => setTimeout(r, 1000)); // let it subscribe
      const r = d.docker(['tag', 'busybox', 'evt-live:1']);
      assert.equal(r.code, 0, r.stderr);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0);
      assert.equal(out.trim(), 'tag evt-live:1');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
