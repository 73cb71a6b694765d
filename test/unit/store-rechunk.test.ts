import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Rechunk } from '../../src/store/rechunk.js';

async function through(chunks: Buffer[], size: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    new Rechunk(size),
    new Writable({
      write(c: Buffer, _e, cb) {
        out.push(c);
        cb();
      },
    }),
  );
  return out;
}

test('rechunk: small chunks come out as chunks of at least the size, bytes and order unchanged', async () => {
  const data = randomBytes(3 * 1024 * 1024 + 777);
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 65536) chunks.push(data.subarray(i, i + 65536));
  const out = await through(chunks, 1 << 20);
  assert.deepEqual(Buffer.concat(out), data);
  assert.equal(out.length, 4);
  for (const c of out.slice(0, -1)) assert.ok(c.length >= 1 << 20, `chunk of ${c.length} bytes`);
});

test('rechunk: a big chunk passes as it is; an empty stream gives nothing', async () => {
  const big = randomBytes(3 << 20);
  const out = await through([big], 1 << 20);
  assert.equal(out.length, 1);
  assert.equal(out[0], big);
  assert.deepEqual(await through([], 1 << 20), []);
});
