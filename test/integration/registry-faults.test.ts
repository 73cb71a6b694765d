// Faults on the way in: a blob whose bytes do not match its digest is
// rejected with nothing stored; a registry that dies mid-pull leaves no
// partial image and a retry succeeds; two concurrent pulls of one image
// fetch each blob once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ApiError, eachJsonLine } from '../../src/client/client.js';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A TCP proxy in front of the registry that can slow responses, count blob GETs and die. */
class Proxy {
  server!: net.Server;
  port = 0;
  blobGets = 0;
  delayMs = 0;
  /** Cut the next connection that sends more than this many bytes back (one time). */
  cutAfterBytes = 0;
  cuts = 0;
  private sockets = new Set<net.Socket>();
  constructor(private readonly target: number) {}

  async start(port = 0): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      let sent = 0;
      let inBlob = false;
      client.on('data', (d: Buffer) => {
        const gets = (d.toString('latin1').match(/^GET \/v2\/[^ ]+\/blobs\/sha256:/gm) ?? []).length;
        this.blobGets += gets;
        inBlob = gets > 0; // count the bytes of a blob's answer only
        sent = 0;
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        sent += d.length;
        if (inBlob && this.cutAfterBytes && sent > this.cutAfterBytes) {
          this.cutAfterBytes = 0;
          this.cuts++;
          client.write(d.subarray(0, 1000));
          client.destroy();
          upstream.destroy();
          return;
        }
        if (!this.delayMs) return void client.write(d);
        upstream.pause();
        // Trickle: 16 KiB per tick.
        let off = 0;
        const step = (): void => {
          if (client.destroyed) return;
          client.write(d.subarray(off, off + 16384));
          off += 16384;
          if (off < d.length) setTimeout(step, this.delayMs);
          else upstream.resume();
        };
        step();
      });
      const end = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Closes the listener and cuts every connection (the registry "dies"). */
  async die(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

async function pullViaApi(
  d: TestDaemon,
  ref: string,
  onMessage: (m: any) => void = () => {},
): Promise<any[]> {
  const i = ref.lastIndexOf(':');
  const res = await d.client.call('POST', '/images/create', {
    query: { fromImage: ref.slice(0, i), tag: ref.slice(i + 1) },
  });
  const msgs: any[] = [];
  await eachJsonLine(res, (m) => {
    msgs.push(m);
    onMessage(m);
  });
  return msgs;
}

/** Removes every image (by ID, forced), so the next pull starts from nothing. */
function wipe(d: TestDaemon): void {
  const ids = [
    ...new Set(
      ok(d.docker(['images', '-aq', '--no-trunc']), 'images')
        .split('\n')
        .filter(Boolean),
    ),
  ];
  if (ids.length) ok(d.docker(['rmi', '-f', ...ids]), 'rmi -f');
}

async function exists(d: TestDaemon, ref: string): Promise<boolean> {
  try {
    await d.client.get(`/images/${ref}/json`);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return false;
    throw e;
  }
}

describe('pull faults', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let proxy: Proxy;

  before(async () => {
    reg = await startRegistry();
    d = await startDaemon();
    await ensureBusybox(d, `${reg.host}/good:1`);
    ok(d.docker(['push', `${reg.host}/good:1`]), 'push good');
    ok(d.docker(['tag', `${reg.host}/good:1`, `${reg.host}/bad:1`]), 'tag bad');
    ok(d.docker(['push', `${reg.host}/bad:1`]), 'push bad');
    wipe(d);
    proxy = new Proxy(reg.port);
    await proxy.start();
  });
  after(async () => {
    await proxy?.die().catch(() => undefined);
    await d?.stop();
    await reg?.stop();
  });

  test('registry dies mid-pull: no partial image; a retry succeeds', async () => {
    const ref = `127.0.0.1:${proxy.port}/good:1`;
    proxy.delayMs = 30;
    let died: Promise<void> | undefined;
    const msgs = await pullViaApi(d, ref, (m) => {
      if (m.status === 'Downloading' && !died) died = proxy.die();
    });
    await died;
    const err = msgs.find((m) => m.error);
    assert.ok(err, 'the pull must fail: ' + JSON.stringify(msgs.slice(-3)));
    assert.equal(await exists(d, ref), false);
    // Nothing of the layer was kept: no layer directory, no blob.
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'layers')), []);
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'blobs', 'sha256')), []);
    // The registry is back: the same pull succeeds.
    const port = proxy.port;
    proxy = new Proxy(reg.port);
    await proxy.start(port);
    const again = await pullViaApi(d, ref);
    assert.ok(!again.some((m) => m.error), JSON.stringify(again.filter((m) => m.error)));
    assert.ok(again.some((m) => /Status: Downloaded newer image/.test(m.status ?? '')));
    assert.equal(await exists(d, ref), true);
  });

  test('a connection dropped mid-layer is retried cleanly and the pull succeeds', async () => {
    wipe(d);
    proxy.delayMs = 0;
    proxy.cutAfterBytes = 200_000;
    const ref = `127.0.0.1:${proxy.port}/good:1`;
    const msgs = await pullViaApi(d, ref);
    assert.ok(!msgs.some((m) => m.error), JSON.stringify(msgs.filter((m) => m.error)));
    assert.equal(proxy.cuts, 1, 'the proxy cut one connection');
    assert.ok(
      msgs.some((m) => /^Retrying in \d+ seconds?$/.test(m.status ?? '')),
      JSON.stringify(msgs.map((m) => m.status)),
    );
    assert.ok(msgs.some((m) => m.status === 'Pull complete'));
    const run = ok(d.docker(['run', '--rm', '--network', 'none', ref, 'echo', 'after-retry']), 'run');
    assert.equal(run.trim(), 'after-retry');
  });

  test('two concurrent pulls of one image fetch its layer once', async () => {
    wipe(d);
    proxy.delayMs = 5;
    proxy.blobGets = 0;
    const ref = `127.0.0.1:${proxy.port}/good:1`;
    const [a, b] = await Promise.all([pullViaApi(d, ref), pullViaApi(d, ref)]);
    for (const msgs of [a, b])
      assert.ok(!msgs.some((m) => m.error), JSON.stringify(msgs.filter((m) => m.error)));
    // One layer blob + the config blob once per pull (configs are small and not shared).
    assert.ok(proxy.blobGets <= 3, `blob GETs: ${proxy.blobGets}`);
    assert.equal(await exists(d, ref), true);
  });

  test('a blob whose bytes do not match its digest is rejected and nothing is stored', async () => {
    // Flip one byte in the middle of the stored layer blob (still a valid tar).
    const manifest = (await (
      await fetch(`http://${reg.host}/v2/bad/manifests/1`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).json()) as { layers: { digest: string }[] };
    const digest = manifest.layers[0].digest;
    const hex = digest.slice(7);
    const file = path.join(reg.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const size = statSync(file).size;
    const fd = openSync(file, 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, Math.floor(size / 2));
    b[0] ^= 0xff;
    writeSync(fd, b, 0, 1, Math.floor(size / 2));
    closeSync(fd);
    wipe(d);
    proxy.delayMs = 0;
    const r = d.docker(['pull', `${reg.host}/bad:1`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${digest}`));
    assert.equal(await exists(d, `${reg.host}/bad:1`), false);
    assert.equal(existsSync(path.join(d.dataRoot, 'blobs', 'sha256', hex)), false);
    assert.deepEqual(readdirSync(path.join(d.dataRoot, 'layers')), []);
  });
});
