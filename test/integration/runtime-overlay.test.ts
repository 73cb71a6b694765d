// The overlay helper with many long-named layers (past one page of options).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMountPoint, mountOverlay, unmount } from '../../src/runtime/rootfs.js';
import { forceCleanup, tempDir } from './runtime-helpers.js';

describe('runtime: overlay rootfs', () => {
  const dir = tempDir('bro-');
  const target = path.join(dir, 'c', 'merged');
  after(async () => {
    await unmount(target).catch(() => undefined);
    forceCleanup('/nonexistent', [], [target], [dir]);
  });

  it('mounts 200 layers with 64-character names, topmost first, and unmounts', async () => {
    const lowers: string[] = [];
    for (let i = 0; i < 200; i++) {
      const l = path.join(dir, 'layers', i.toString(16).padStart(64, '0'));
      mkdirSync(l, { recursive: true });
      writeFileSync(path.join(l, `f${i}`), String(i));
      writeFileSync(path.join(l, 'shared'), String(i));
      lowers.unshift(l); // layer 199 is the top
    }
    await mountOverlay(lowers, path.join(dir, 'c', 'upper'), path.join(dir, 'c', 'work'), target);
    assert.ok(isMountPoint(target));
    assert.equal(readFileSync(path.join(target, 'shared'), 'utf8'), '199');
    assert.equal(readFileSync(path.join(target, 'f0'), 'utf8'), '0');
    assert.equal(readdirSync(target).length, 201);
    writeFileSync(path.join(target, 'new'), 'x');
    assert.ok(existsSync(path.join(dir, 'c', 'upper', 'new')), 'writes land in the upper dir');
    assert.equal(existsSync(path.join(dir, 'c', '.lower-merged')), false, 'scratch links removed');
    await unmount(target);
    assert.equal(isMountPoint(target), false);
  });
});
