// `berth cp` of a multi-MiB directory tree into a container and back out,
// compared by sha256 on both sides; and the cause of the "Premature close"
// it used to fail with: a GNU tar archive (whole 10 KiB records) whose
// request body ends a while after the archive does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

/** `sha256  ./rel/path` lines of every regular file under `dir`, sorted. */
const sumsOnHost = (dir: string): string =>
  execFileSync('sh', ['-c', 'find . -type f -exec sha256sum {} + | sort -k2'], {
    cwd: dir,
    encoding: 'utf8',
  });

/** 300 files of random content (~20 MiB) in five subdirectories, plus a symlink. */
function makeTree(root: string): void {
  for (let i = 0; i < 300; i++) {
    const dir = path.join(root, `sub${i % 5}`, i % 2 ? 'deep' : '');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}.bin`), randomBytes(40_000 + ((i * 7919) % 60_000)));
  }
  symlinkSync('sub0/f0.bin', path.join(root, 'link'));
}

/** PUT a tar to /containers/{id}/archive, holding the request's end back for `delayMs` after the archive. */
function putLate(d: TestDaemon, container: string, dir: string, tar: Buffer, delayMs: number) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        socketPath: d.sock,
        method: 'PUT',
        path: `/containers/${container}/archive?path=${encodeURIComponent(dir)}`,
        headers: { Host: 'berth', 'Content-Type': 'application/x-tar' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write(tar);
    setTimeout(() => req.end(), delayMs);
  });
}

describe('berth cp of a large tree', () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-cptree-'));
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const ok = (args: string[]): string => {
    const r = d.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}\n${d.log().slice(-1500)}`);
    return r.stdout;
  };

  it('copies a 20 MiB tree in and back out with the same checksums', () => {
    const src = path.join(tmp, 'tree');
    makeTree(src);
    const want = sumsOnHost(src);
    assert.equal(want.trim().split('\n').length, 300);
    ok(['run', '-d', '--network', 'none', '--name', 'cptree', 'busybox', 'sleep', '300']);
    ok(['cp', src, 'cptree:/tmp/']);
    const inside = ok([
      'exec',
      'cptree',
      'sh',
      '-c',
      'cd /tmp/tree && find . -type f -exec sha256sum {} + | sort -k2',
    ]);
    assert.equal(inside, want);
    assert.equal(ok(['exec', 'cptree', 'readlink', '/tmp/tree/link']), 'sub0/f0.bin\n');

    // Renamed on the way in (a created container: its rootfs is mounted for the copy).
    ok(['create', '--network', 'none', '--name', 'cptree2', 'busybox', 'true']);
    ok(['cp', src, 'cptree2:/copy']);
    const back = path.join(tmp, 'back');
    ok(['cp', 'cptree2:/copy', back]);
    assert.equal(sumsOnHost(back), want);

    const out = path.join(tmp, 'out');
    ok(['cp', 'cptree:/tmp/tree', out]);
    assert.equal(sumsOnHost(out), want);
    assert.equal(
      readFileSync(path.join(out, 'link')).equals(readFileSync(path.join(src, 'sub0/f0.bin'))),
      true,
    );
    assert.equal(execFileSync('readlink', [path.join(out, 'link')], { encoding: 'utf8' }), 'sub0/f0.bin\n');
  });

  it('accepts a GNU tar archive whose request body ends after tar has finished', async () => {
    const src = path.join(tmp, 'late');
    mkdirSync(src);
    writeFileSync(path.join(src, 'a.txt'), 'late body\n');
    const tar = execFileSync('tar', ['-c', '-f', '-', '-C', tmp, 'late']);
    assert.equal(tar.length % 10240, 0, 'GNU tar writes whole records');
    ok(['create', '--network', 'none', '--name', 'cplate', 'busybox', 'true']);
    const r = await putLate(d, 'cplate', '/', tar, 700);
    assert.equal(r.status, 200, `${r.body}\n${d.log().slice(-1500)}`);
    const back = path.join(tmp, 'late-back');
    ok(['cp', 'cplate:/late/a.txt', back]);
    assert.equal(readFileSync(back, 'utf8'), 'late body\n');
  });
});
