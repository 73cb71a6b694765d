// POST /build through the Engine API: quiet mode, refused parameters, the
// stage markers of parallel stages, BuildKit-era RUN flags (--network,
// --mount=type=cache|bind|tmpfs), ADD archives and URLs, and a client that
// hangs up mid-build (the build stops and leaves nothing behind).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ApiError, readAll } from '../../src/client/client.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { startRegistry } from '../support/registry.js';

describe('POST /build', () => {
  let d: TestDaemon;
  let tmp: string;
  let server: http.Server;
  let port = 0;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-build-api-'));
    server = http.createServer((req, res) => {
      if (req.url === '/file.txt') res.end('from-http\n');
      else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const tarOf = (files: Record<string, string>): Buffer => {
    const dir = mkdtempSync(path.join(tmp, 'ctx-'));
    for (const [f, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      writeFileSync(path.join(dir, f), body);
    }
    return spawnSync('tar', ['-c', '-C', dir, '.']).stdout;
  };
  const post = async (
    files: Record<string, string>,
    query: Record<string, string> = {},
    signal?: AbortSignal,
  ) => {
    const res = await d.client.call('POST', '/build', {
      query,
      headers: { 'Content-Type': 'application/x-tar' },
      stream: Readable.from([tarOf(files)]),
      signal,
    });
    return (await readAll(res))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  };
  const text = (msgs: Record<string, any>[]): string => msgs.map((m) => m.stream ?? '').join('');
  const ok = (args: string[]): string => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const cat = (img: string, file: string): string => {
    const id = ok(['create', '--network', 'none', img, 'true']);
    try {
      return spawnSync('tar', ['-xO'], {
        input: d.docker(['cp', `${id}:${file}`, '-']).stdout,
      }).stdout.toString();
    } finally {
      d.docker(['rm', '-f', id]);
    }
  };

  it('pulls a FROM image it does not have, and again with pull=1', async () => {
    const reg = await startRegistry();
    try {
      const ref = `${reg.host}/base:1`;
      ok(['tag', 'busybox:latest', ref]);
      ok(['push', ref]);
      ok(['rmi', ref]);
      const first = await post({ Dockerfile: `FROM ${ref}\nRUN echo pulled > /p\n` }, { t: 'pulled:1' });
      const all = JSON.stringify(first);
      assert.match(all, /Pulling from base/, all);
      assert.match(text(first), /Successfully tagged pulled:1/);
      assert.equal(cat('pulled:1', '/p'), 'pulled\n');
      const again = await post({ Dockerfile: `FROM ${ref}\n` }, { pull: '1' });
      assert.match(JSON.stringify(again), /Image is up to date for/);
      const missing = await post({ Dockerfile: `FROM ${reg.host}/nope:1\n` });
      assert.match(missing[missing.length - 1].error, /nope/);
    } finally {
      await reg.stop();
    }
  });

  it('answers q=1 with the image ID only', async () => {
    const msgs = await post({ Dockerfile: 'FROM busybox\nRUN echo noisy\n' }, { q: '1' });
    assert.equal(msgs.length, 1, JSON.stringify(msgs));
    assert.match(msgs[0].stream, /^sha256:[0-9a-f]{64}\n$/);
  });

  it('drops .dockerignore and the Dockerfile from the context when .dockerignore lists them', async () => {
    const msgs = await post(
      {
        Dockerfile: 'FROM busybox\nCOPY . /c/\n',
        '.dockerignore': 'Dockerfile\n.dockerignore\n',
        'kept.txt': 'k\n',
      },
      { t: 'ignored:1' },
    );
    assert.match(text(msgs), /Successfully tagged ignored:1/);
    assert.equal(cat('ignored:1', '/c/kept.txt'), 'k\n');
    const id = ok(['create', 'ignored:1', 'true']);
    try {
      assert.notEqual(d.docker(['cp', `${id}:/c/Dockerfile`, '-']).code, 0);
      assert.notEqual(d.docker(['cp', `${id}:/c/.dockerignore`, '-']).code, 0);
    } finally {
      d.docker(['rm', '-f', id]);
    }
  });

  it('refuses BuildKit, remote contexts and a missing Dockerfile with plain HTTP errors', async () => {
    await assert.rejects(
      post({ Dockerfile: 'FROM busybox\n' }, { version: '2' }),
      (e: ApiError) => e.status === 400,
    );
    await assert.rejects(post({ Dockerfile: 'FROM busybox\n' }, { version: '3' }), /invalid version "3"/);
    await assert.rejects(
      post({}, { remote: 'https://example.invalid/x.git' }),
      /remote build contexts are not supported/,
    );
    await assert.rejects(
      post({ Dockerfile: 'FROM busybox\n' }, { dockerfile: 'nope' }),
      (e: ApiError) => e.status === 500 && /Cannot locate specified Dockerfile: nope/.test(e.message),
    );
    // A lower-case dockerfile is found as the default.
    const msgs = await post({ dockerfile: 'FROM busybox\n' });
    assert.match(text(msgs), /Successfully built/);
  });

  it("marks each step of parallel stages and keeps a step's lines together", async () => {
    const msgs = await post({
      Dockerfile:
        'FROM busybox AS a\nRUN echo A1; sleep 1; echo A2\nFROM busybox AS b\nRUN echo B1; sleep 1; echo B2\nFROM busybox\nCOPY --from=a /etc/hostname /a\nCOPY --from=b /etc/hostname /b\n',
    });
    const markers = msgs.filter((m) => m.aux?.['berth.stage']).map((m) => m.aux['berth.stage']);
    assert.ok(markers.some((m) => m.name === 'a') && markers.some((m) => m.name === 'b'));
    // Between a step's start and done marker nothing of another stage appears.
    let open: number | null = null;
    for (const m of markers) {
      if (m.state === 'start') {
        assert.equal(open, null, 'two steps interleaved');
        open = m.index as number;
      } else {
        assert.equal(m.index, open);
        open = null;
      }
    }
    const all = text(msgs);
    const lines = all.split('\n');
    for (const l of ['A1', 'A2', 'B1', 'B2']) assert.ok(lines.includes(l), `${l} missing from:\n${all}`);
    assert.ok(lines.indexOf('A1') < lines.indexOf('A2') && lines.indexOf('B1') < lines.indexOf('B2'), all);
    assert.match(all, /Successfully built/);
  });

  it('runs RUN with --network=none or the default bridge', async () => {
    const msgs = await post(
      {
        Dockerfile:
          'FROM busybox\nRUN --network=none ip -o link | grep -c eth0 > /none || true\nRUN ip -o link | grep -c eth0 > /bridge\n',
      },
      { t: 'net:1' },
    );
    assert.match(text(msgs), /Successfully tagged net:1/, JSON.stringify(msgs.slice(-3)));
    assert.equal(cat('net:1', '/none').trim(), '0');
    assert.equal(cat('net:1', '/bridge').trim(), '1');
  });

  it('supports RUN --mount=type=cache, bind and tmpfs', async () => {
    const first = await post({
      Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/cache echo kept > /cache/v\n',
    });
    assert.match(text(first), /Successfully built/);
    const msgs = await post(
      {
        'data/x': 'bound\n',
        Dockerfile: [
          'FROM busybox',
          'RUN --mount=type=cache,target=/cache cat /cache/v > /from-cache',
          'RUN --mount=type=bind,source=data,target=/mnt cat /mnt/x > /from-bind',
          'RUN --mount=type=tmpfs,target=/scratch touch /scratch/t && grep -c " /scratch tmpfs" /proc/mounts > /tmpfs',
          '',
        ].join('\n'),
      },
      { t: 'mounts:1' },
    );
    assert.match(text(msgs), /Successfully tagged mounts:1/, JSON.stringify(msgs.slice(-3)));
    assert.equal(cat('mounts:1', '/from-cache'), 'kept\n');
    assert.equal(cat('mounts:1', '/from-bind'), 'bound\n');
    assert.equal(cat('mounts:1', '/tmpfs').trim(), '1');
    // Mount contents never reach the image.
    // Mount contents and the mount points made for them never reach the image.
    const stubs = await post(
      {
        Dockerfile:
          'FROM mounts:1\nRUN for p in /cache /scratch /mnt; do test -e $p && echo $p; done > /left; true\n',
      },
      { t: 'mounts:2' },
    );
    assert.match(text(stubs), /Successfully tagged mounts:2/);
    assert.equal(cat('mounts:2', '/left'), '');
  });

  it('unpacks local archives with ADD and fetches URLs, with a clear error when a URL fails', async () => {
    const inner = mkdtempSync(path.join(tmp, 'arc-'));
    writeFileSync(path.join(inner, 'inside.txt'), 'unpacked\n');
    const tgz = spawnSync('tar', ['-cz', '-C', inner, 'inside.txt']).stdout;
    const dir = mkdtempSync(path.join(tmp, 'addctx-'));
    writeFileSync(path.join(dir, 'a.tgz'), tgz);
    writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM busybox\nADD a.tgz /x/\nADD http://127.0.0.1:${port}/file.txt /y/\nCOPY a.tgz /z/\n`,
    );
    const res = await d.client.call('POST', '/build', {
      query: { t: 'add:1' },
      headers: { 'Content-Type': 'application/x-tar' },
      stream: Readable.from([spawnSync('tar', ['-c', '-C', dir, '.']).stdout]),
    });
    const out = (await readAll(res)).toString();
    assert.match(out, /Successfully tagged add:1/, out);
    assert.equal(cat('add:1', '/x/inside.txt'), 'unpacked\n');
    assert.equal(cat('add:1', '/y/file.txt'), 'from-http\n');
    assert.ok(cat('add:1', '/z/a.tgz').length > 0, 'COPY never unpacks');
    const bad = await post({ Dockerfile: `FROM busybox\nADD http://127.0.0.1:${port}/missing /m\n` });
    assert.match(
      bad[bad.length - 1].error,
      /ADD failed: failed to GET http:\/\/127\.0\.0\.1:\d+\/missing with status 404/,
    );
  });

  it('stops a build when the client hangs up and leaves no container or temp dir', async () => {
    const abort = new AbortController();
    const res = await d.client.call('POST', '/build', {
      headers: { 'Content-Type': 'application/x-tar' },
      stream: Readable.from([tarOf({ Dockerfile: 'FROM busybox\nRUN echo started; sleep 60\n' })]),
      signal: abort.signal,
    });
    await new Promise<void>((resolve) => {
      res.on('data', (b: Buffer) => {
        if (b.toString().includes('"started\\n"')) resolve();
      });
    });
    abort.abort();
    res.destroy();
    let left = ['?'];
    for (let i = 0; i < 60 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 250));
      left = [
        ...ok(['ps', '-aq']).split('\n').filter(Boolean),
        ...readdirSync(path.join(d.dataRoot, 'tmp')).filter((n) => n.startsWith('build-')),
      ];
    }
    assert.deepEqual(left, []);
  });

  it('prunes the build cache and reports it', async () => {
    await post({ Dockerfile: 'FROM busybox\nRUN echo to-prune > /p\n' });
    const df = await d.client.json<Record<string, any>>('GET', '/system/df');
    assert.ok(
      df.BuildCache.length > 0 &&
        typeof df.BuildCache[0].ID === 'string' &&
        df.BuildCache[0].Type === 'regular',
    );
    assert.ok(df.Images.some((i: Record<string, any>) => i.RepoTags?.includes('busybox:latest')));
    assert.ok(Array.isArray(df.Containers) && Array.isArray(df.Volumes) && typeof df.LayersSize === 'number');
    const only = await d.client.json<Record<string, any>>('GET', '/system/df', {
      query: { type: 'build-cache' },
    });
    assert.deepEqual(Object.keys(only), ['BuildCache']);
    assert.match(ok(['system', 'df']), /Build Cache\s+\d+/);
    const r = await d.client.json<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>(
      'POST',
      '/build/prune',
      {},
    );
    assert.ok(Array.isArray(r.CachesDeleted) && r.CachesDeleted.length > 0);
    assert.equal(typeof r.SpaceReclaimed, 'number');
    const again = await d.client.json('POST', '/build/prune', {});
    assert.deepEqual(again, { CachesDeleted: null, SpaceReclaimed: 0 });
  });
});
