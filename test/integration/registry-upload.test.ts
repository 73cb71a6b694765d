// Blob uploads as dockerd makes them: POST opens a session, the bytes go in a
// PATCH, a PUT with the digest closes it; a registry refusing PATCH gets a
// monolithic PUT. A recording proxy sits between berthd and Debian's
// docker-registry; the registry then serves blobs with the right digests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

describe('registry blob uploads', () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let proxy: http.Server;
  let host: string;
  const seen: string[] = [];
  /** Repositories whose PATCH the proxy refuses (a registry without chunked uploads). */
  const noPatch = new Set<string>();

  before(async () => {
    reg = await startRegistry();
    proxy = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const repo = /^\/v2\/([^/]+)\//.exec(req.url ?? '')?.[1] ?? '';
      if (req.method === 'PATCH' && noPatch.has(repo)) {
        req.resume();
        res.writeHead(405);
        return res.end();
      }
      const up = http.request(
        { host: '127.0.0.1', port: reg.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          const headers = { ...r.headers };
          if (headers.location) headers.location = headers.location.replace(reg.host, host);
          res.writeHead(r.statusCode ?? 502, headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    host = `127.0.0.1:${(proxy.address() as { port: number }).port}`;
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
    proxy?.close();
    await reg?.stop();
  });

  /** Pushes through the API (the docker CLI would block this process, and with it the proxy). */
  async function push(repo: string): Promise<string> {
    await ensureBusybox(d, `${host}/${repo}:1`);
    const res = await d.client.open('POST', `/images/${host}/${repo}/push`, {
      query: { tag: '1' },
      headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64') },
    });
    let body = '';
    for await (const c of res) body += c;
    assert.equal(res.statusCode, 200, body);
    assert.doesNotMatch(body, /"error"/, body);
    return body;
  }

  async function layersVerify(repo: string): Promise<void> {
    const m = await fetch(`http://${reg.host}/v2/${repo}/manifests/1`, {
      headers: {
        Accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    assert.equal(m.status, 200);
    const manifest = (await m.json()) as { layers: { digest: string }[]; config: { digest: string } };
    for (const blob of [manifest.config, ...manifest.layers]) {
      const b = Buffer.from(
        await (await fetch(`http://${reg.host}/v2/${repo}/blobs/${blob.digest}`)).arrayBuffer(),
      );
      assert.equal('sha256:' + createHash('sha256').update(b).digest('hex'), blob.digest);
    }
  }

  test('each new blob: POST, PATCH with the bytes, PUT with the digest', async () => {
    seen.length = 0;
    await push('chunked');
    const uploads = seen.filter((s) => /\/v2\/chunked\/blobs\/uploads\//.test(s)).map((s) => s.split(' ')[0]);
    assert.ok(uploads.length >= 6, seen.join('\n')); // config and layer: 3 requests each
    for (let i = 0; i < uploads.length; i += 3)
      assert.deepEqual(uploads.slice(i, i + 3), ['POST', 'PATCH', 'PUT']);
    assert.ok(seen.some((s) => /^PUT \/v2\/chunked\/blobs\/uploads\/.*digest=sha256/.test(s)));
    await layersVerify('chunked');
  });

  test('a registry refusing PATCH gets the blob in a monolithic PUT', async () => {
    noPatch.add('mono');
    seen.length = 0;
    await push('mono');
    assert.ok(
      seen.some((s) => s.startsWith('PATCH /v2/mono/')),
      seen.join('\n'),
    );
    await layersVerify('mono');
  });
});
