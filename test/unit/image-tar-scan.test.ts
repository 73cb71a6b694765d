// The tar header scanner, as a stream and over a file: pax and GNU long
// names, links, whiteouts, escapes, truncation.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { normalizeMember, TarScanner, type ScanResult } from '../../src/image/tar-scan.js';
import { tarBuffer } from '../../src/image/tar-write.js';
import { scanTarFile } from '../../src/store/tar-file-scan.js';

/** Scans `tar` both ways, checks they agree, returns the result (or throws). */
async function scanBoth(tar: Buffer): Promise<ScanResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-tar-scan-'));
  try {
    const file = path.join(dir, 'a.tar');
    writeFileSync(file, tar);
    let fileResult: ScanResult | Error;
    try {
      fileResult = await scanTarFile(file);
    } catch (e) {
      fileResult = e as Error;
    }
    const scanner = new TarScanner();
    // Odd chunk sizes: headers split across chunks.
    const chunks: Buffer[] = [];
    for (let i = 0; i < tar.length; i += 333) chunks.push(tar.subarray(i, i + 333));
    let streamResult: ScanResult | Error;
    try {
      await pipeline(Readable.from(chunks), scanner, new Writable({ write: (_c, _e, cb) => cb() }));
      streamResult = scanner.result;
    } catch (e) {
      streamResult = e as Error;
    }
    if (fileResult instanceof Error || streamResult instanceof Error) {
      assert.ok(fileResult instanceof Error && streamResult instanceof Error, 'both ways fail alike');
      assert.equal(fileResult.message, (streamResult as Error).message);
      throw fileResult;
    }
    assert.deepEqual(fileResult, streamResult);
    return fileResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const long = 'd'.repeat(120) + '/' + 'e'.repeat(120);

describe('tar scanner', () => {
  test('names are normalised; .. is refused', () => {
    assert.equal(normalizeMember('./a//b/./c/'), 'a/b/c');
    assert.equal(normalizeMember('/etc/passwd'), 'etc/passwd');
    assert.throws(() => normalizeMember('a/../../b'), /path contains "\.\."/);
  });

  test('counts entries and content, lists whiteouts, incl. pax long names', async () => {
    const tar = tarBuffer([
      { header: { name: 'a', type: 'file' }, data: Buffer.from('12345') },
      { header: { name: long, type: 'file' }, data: Buffer.from('xy') },
      { header: { name: 'dir/.wh.gone', type: 'file' }, data: Buffer.alloc(0) },
      { header: { name: long.slice(0, 120) + '/.wh..wh..opq', type: 'file' }, data: Buffer.alloc(0) },
    ]);
    const r = await scanBoth(tar);
    assert.equal(r.entries, 4);
    assert.equal(r.contentSize, 7);
    assert.ok(r.ended);
    assert.deepEqual(r.whiteouts, [
      { kind: 'file', path: 'dir/gone' },
      { kind: 'opaque', dir: 'd'.repeat(120) },
    ]);
  });

  test('GNU long names (python tarfile GNU format) are read', async () => {
    const py = `import tarfile,io,sys
t=tarfile.open(fileobj=sys.stdout.buffer,mode='w|',format=tarfile.GNU_FORMAT)
s=tarfile.TarInfo('l'*150); s.type=tarfile.SYMTYPE; s.linkname='/etc'; t.addfile(s)
f=tarfile.TarInfo('l'*150+'/x'); f.size=1; t.addfile(f, io.BytesIO(b'x'))
t.close()`;
    const tar = execFileSync('python3', ['-c', py]);
    await assert.rejects(scanBoth(tar), /below a symlink of this archive/);
  });

  test('a write below a symlink given by a pax long name is refused', async () => {
    const tar = tarBuffer([
      { header: { name: long, type: 'symlink', linkname: '/etc' } },
      { header: { name: long + '/passwd', type: 'file' }, data: Buffer.from('x') },
    ]);
    await assert.rejects(scanBoth(tar), /below a symlink of this archive/);
  });

  test('a truncated archive is an error', async () => {
    const tar = tarBuffer([{ header: { name: 'big', type: 'file' }, data: Buffer.alloc(5000, 1) }]);
    await assert.rejects(scanBoth(tar.subarray(0, 2048)), /unexpected EOF/);
  });
});
