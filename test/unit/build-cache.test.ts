// The step cache store and the content hashes its keys are made of.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, utimesSync, writeFileSync, lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/store/db.js';
import { BuildCache, cacheKey } from '../../src/build/cache.js';
import { ContentHasher } from '../../src/build/cache-hash.js';

describe('build cache', () => {
  it('finds a step by parent and key, forgets steps whose image is gone, prunes', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cache-'));
    try {
      const db = openDatabase(path.join(dir, 'db'));
      const cache = new BuildCache(db);
      const k = cacheKey({ run: ['/bin/sh', '-c', 'x'] });
      cache.record('sha256:p', k, 'sha256:i');
      assert.equal(
        cache.lookup('sha256:p', k, () => true),
        'sha256:i',
      );
      assert.equal(
        cache.lookup('sha256:other', k, () => true),
        null,
      );
      assert.equal(
        cache.lookup('sha256:p', k, () => false),
        null,
      );
      assert.equal(cache.all().length, 0, 'a record whose image is gone is dropped');
      cache.record('sha256:p', k, 'sha256:i');
      assert.equal(cache.remove().length, 1);
      assert.equal(
        cache.lookup('sha256:p', k, () => true),
        null,
      );
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hashes content and mode, not modification times', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-hash-'));
    try {
      const f = path.join(dir, 'f');
      writeFileSync(f, 'one');
      const src = () => [{ abs: f, rel: 'f', st: lstatSync(f) }];
      const h1 = await new ContentHasher().hashSources(src());
      utimesSync(f, new Date(1000), new Date(1000));
      assert.equal(await new ContentHasher().hashSources(src()), h1);
      chmodSync(f, 0o755);
      const h2 = await new ContentHasher().hashSources(src());
      assert.notEqual(h2, h1);
      writeFileSync(f, 'two');
      assert.notEqual(await new ContentHasher().hashSources(src()), h2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
