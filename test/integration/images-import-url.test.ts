// `docker import <URL>` and `POST /images/load` progress, with dockerd's
// messages (captured from dockerd 20.10): "Downloading from <url>",
// "Importing" and "Loading layer" bars with byte counts, the image ID, a
// failed GET as an HTTP error, and no progress for layers already present
// or with quiet=1. A loopback HTTP server in a child process serves the
// archive (the docker CLI runs synchronously in this process).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { busyboxTar } from '../support/images.js';

interface Line {
  status?: string;
  stream?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
}

const lines = (body: string): Line[] =>
  body
    .split('\r\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

describe('import from a URL and load progress', () => {
  let d: TestDaemon;
  let server: ChildProcess;
  let base: string;
  const rootfs = busyboxTar();
  const size = statSync(rootfs).size;

  before(async () => {
    server = spawn(
      process.execPath,
      [
        '-e',
        `const http = require('node:http'); const fs = require('node:fs');
         const s = http.createServer((req, res) => {
           if (req.url !== '/rootfs.tar') { res.writeHead(404); return res.end('nope\\n'); }
           res.writeHead(200, { 'Content-Length': fs.statSync(process.argv[1]).size });
           fs.createReadStream(process.argv[1]).pipe(res);
         });
         s.listen(0, '127.0.0.1', () => console.log(s.address().port));`,
        rootfs,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const port = await new Promise<string>((r) => server.stdout!.once('data', (b) => r(String(b).trim())));
    base = `127.0.0.1:${port}`;
    d = await startDaemon();
  });
  after(async () => {
    server?.kill();
    await d?.stop();
  });

  const post = async (path: string, body?: Buffer): Promise<{ status: number; text: string }> => {
    const res = await d.client.open('POST', path, {
      headers: { 'Content-Type': 'application/x-tar' },
      body,
    });
    let text = '';
    for await (const chunk of res) text += chunk;
    return { status: res.statusCode ?? 0, text };
  };

  test('the API streams Downloading, Importing bars and the ID; the image has the files', async () => {
    const url = `http://${base}/rootfs.tar`;
    const r = await post(`/images/create?fromSrc=${encodeURIComponent(url)}&repo=imp&tag=v1`);
    assert.equal(r.status, 200, r.text);
    const ls = lines(r.text);
    assert.deepEqual(ls[0], { status: `Downloading from ${url}` });
    const bars = ls.slice(1, -1);
    assert.ok(bars.length >= 1, r.text);
    for (const b of bars) {
      assert.equal(b.status, 'Importing');
      assert.equal(b.progressDetail?.total, size);
      assert.equal(b.id, undefined);
      assert.match(b.progress ?? '', /^\[=*>? *\] +[\d.]+k?M?B\/[\d.]+MB$/);
    }
    assert.equal(bars.at(-1)!.progressDetail!.current, size);
    assert.match(bars.at(-1)!.progress!, /^\[={50}>\]/);
    const id = ls.at(-1)!.status!;
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const inspect = d.docker(['image', 'inspect', '-f', '{{.Id}} {{.Comment}}', 'imp:v1']);
    assert.equal(inspect.stdout.trim(), `${id} Imported from ${url}`);
    const run = d.docker(['run', '--rm', 'imp:v1', '/bin/busybox', 'echo', 'from-url']);
    assert.equal(run.stdout.trim(), 'from-url', run.stderr);
  });

  test('no scheme means http; a failed GET is an HTTP error with the server answer', async () => {
    const r = await post(`/images/create?fromSrc=${encodeURIComponent(`${base}/rootfs.tar`)}`);
    assert.equal(r.status, 200);
    assert.deepEqual(lines(r.text)[0], { status: `Downloading from http://${base}/rootfs.tar` });
    const missing = await post(`/images/create?fromSrc=${encodeURIComponent(`http://${base}/missing`)}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.text), {
      message: `failed to GET http://${base}/missing with status 404 Not Found: nope`,
    });
  });

  test('docker import <URL> prints what docker prints against dockerd', () => {
    const r = d.docker(['import', `http://${base}/rootfs.tar`, 'imp2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^Downloading from http://${base}/rootfs.tar\\nsha256:[0-9a-f]{64}\\n$`),
    );
  });

  test('load with quiet=0 shows Loading layer bars only for layers not yet present', async () => {
    const archive = await new Promise<Buffer>((resolve, reject) => {
      const p = spawn('docker', ['save', 'imp:v1'], { env: { ...process.env, DOCKER_HOST: d.host } });
      const parts: Buffer[] = [];
      p.stdout.on('data', (b: Buffer) => parts.push(b));
      p.on('error', reject);
      p.on('close', () => resolve(Buffer.concat(parts)));
    });
    const layer = d.docker(['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', 'imp:v1']).stdout.trim();
    for (const img of ['imp:v1', 'imp2']) d.docker(['rmi', img]);
    // Other images (the untagged no-scheme import) share the layer: remove them too.
    for (const id of d.docker(['images', '-q']).stdout.split('\n').filter(Boolean))
      d.docker(['rmi', '-f', id]);

    const first = await post('/images/load?quiet=0', archive);
    assert.equal(first.status, 200, first.text);
    const ls = lines(first.text);
    const bars = ls.filter((l) => l.status === 'Loading layer');
    assert.ok(bars.length >= 1, first.text);
    for (const b of bars) {
      assert.equal(b.id, layer.slice('sha256:'.length, 'sha256:'.length + 12));
      assert.ok(b.progressDetail!.total! >= size, JSON.stringify(b));
    }
    assert.equal(bars.at(-1)!.progressDetail!.current, bars.at(-1)!.progressDetail!.total);
    assert.deepEqual(ls.at(-1), { stream: 'Loaded image: imp:v1\n' });

    const again = await post('/images/load?quiet=0', archive);
    assert.deepEqual(lines(again.text), [{ stream: 'Loaded image: imp:v1\n' }]);
    d.docker(['rmi', 'imp:v1']);
    const quiet = await post('/images/load?quiet=1', archive);
    assert.deepEqual(lines(quiet.text), [{ stream: 'Loaded image: imp:v1\n' }]);
    assert.equal(readFileSync(rootfs).length, size);
  });
});
