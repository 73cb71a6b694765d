// The shared tar header reader: field decoders, and the push parser over
// archives GNU tar writes (gnu long names, pax records, utf8 names), fed in
// any chunking, with truncation and end markers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BLOCK,
  parsePaxRecords,
  TarReader,
  TarTruncatedError,
  tarNumber,
  type TarMember,
} from '../../src/image/tar-header.js';

function members(tar: Buffer, chunk: number, opts?: ConstructorParameters<typeof TarReader>[1]): TarMember[] {
  const out: TarMember[] = [];
  const r = new TarReader((m) => out.push(m), opts);
  for (let i = 0; i < tar.length; i += chunk) r.feed(tar.subarray(i, i + chunk));
  r.finish();
  return out;
}

const brief = (ms: TarMember[]) => ms.map((m) => [m.type, m.name, m.linkname, m.size]);

describe('tar header reader', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-tar-header-'));
  const long = 'd'.repeat(70) + '/' + 'f'.repeat(90);
  mkdirSync(path.join(dir, 'src', 'd'.repeat(70)), { recursive: true });
  writeFileSync(path.join(dir, 'src', long), 'x'.repeat(1000));
  symlinkSync('t'.repeat(120), path.join(dir, 'src', 'link'));
  writeFileSync(path.join(dir, 'src', 'café'), 'y');
  const tarOf = (format: string): Buffer =>
    execFileSync('tar', [
      '-c',
      '-f',
      '-',
      '-C',
      path.join(dir, 'src'),
      `--format=${format}`,
      '--sort=name',
      '.',
    ]);

  test.after(() => rmSync(dir, { recursive: true, force: true }));

  test('numbers: octal, and GNU base-256 beyond octal', () => {
    const h = Buffer.alloc(BLOCK);
    h.write('00000001750\0', 124, 'latin1');
    assert.equal(tarNumber(h, 124, 12), 1000);
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h.writeUIntBE(2 ** 40, 130, 6);
    assert.equal(tarNumber(h, 124, 12), 2 ** 40);
  });

  test('pax records keep their order and values with = and newlines', () => {
    const rec = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      return `${body.length + String(body.length + 2).length}${body}`;
    };
    const data = Buffer.from(rec('path', 'a=b') + rec('SCHILY.xattr.user.x', 'v'), 'latin1');
    assert.deepEqual(parsePaxRecords(data), [
      ['path', 'a=b'],
      ['SCHILY.xattr.user.x', 'v'],
    ]);
  });

  for (const format of ['gnu', 'posix']) {
    test(`${format}: long names, long link targets and sizes, whatever the chunking`, () => {
      const tar = tarOf(format);
      const whole = members(tar, tar.length, { encoding: 'utf8' });
      for (const chunk of [1, 333, BLOCK, 4096])
        assert.deepEqual(brief(members(tar, chunk, { encoding: 'utf8' })), brief(whole));
      const byName = new Map(whole.map((m) => [m.name.replace(/^\.\//, '').replace(/\/$/, ''), m]));
      assert.equal(byName.get(long)?.size, 1000);
      assert.equal(byName.get(long)?.type, '0');
      assert.equal(byName.get('link')?.linkname, 't'.repeat(120));
      assert.equal(byName.get('link')?.type, '2');
      assert.equal(byName.get('café')?.size, 1);
    });
  }

  test('latin1 names round-trip the raw bytes', () => {
    const names = members(tarOf('posix'), 4096).map((m) => m.name);
    assert.ok(names.includes(Buffer.from('./café', 'utf8').toString('latin1')), names.join(','));
  });

  test('an archive cut inside a member is truncated; the end marker ends it', () => {
    const tar = tarOf('gnu');
    assert.throws(() => members(tar.subarray(0, 3 * BLOCK + 100), 4096), TarTruncatedError);
    const r = new TarReader(() => undefined);
    r.feed(Buffer.alloc(2 * BLOCK));
    assert.equal(r.ended, true);
    const lone = new TarReader(() => undefined, { endAtZeroBlock: true });
    lone.feed(Buffer.alloc(BLOCK));
    assert.equal(lone.ended, true);
  });
});
