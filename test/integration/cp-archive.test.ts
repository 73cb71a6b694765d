// `docker cp` both ways through the real docker CLI (HEAD/GET/PUT
// /containers/{id}/archive), on running and stopped containers and through
// volumes; and the escapes that must fail: symlinks pointing at host paths,
// `..` and absolute members, links planted in the archive, device files.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { tarBuffer } from '../../src/image/tar-write.js';

describe('docker cp through the archive API', () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-cp-'));
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const docker = (args: string[], input?: string | Buffer) =>
    d.docker(
      ['run', 'create'].includes(args[0]) ? [args[0], '--network', 'none', ...args.slice(1)] : args,
      input === undefined ? undefined : { input },
    );
  const ok = (args: string[], input?: string | Buffer) => {
    const r = docker(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.log().slice(-1500)}`);
    return r.stdout;
  };

  it('copies files and directories into and out of a running container', () => {
    ok(['run', '-d', '--name', 'cprun', '-v', 'cpvol:/vol', 'busybox', 'sleep', '300']);
    const src = path.join(tmp, 'tree');
    mkdirSync(path.join(src, 'sub'), { recursive: true });
    writeFileSync(path.join(src, 'a.txt'), 'alpha\n');
    writeFileSync(path.join(src, 'sub/b.txt'), 'beta\n', { mode: 0o600 });
    ok(['cp', src, 'cprun:/tmp/']);
    assert.equal(ok(['exec', 'cprun', 'cat', '/tmp/tree/a.txt', '/tmp/tree/sub/b.txt']), 'alpha\nbeta\n');
    assert.equal(ok(['exec', 'cprun', 'stat', '-c', '%a', '/tmp/tree/sub/b.txt']), '600\n');
    ok(['cp', path.join(src, 'a.txt'), 'cprun:/vol/renamed.txt']);
    assert.equal(readFileSync(path.join(d.dataRoot, 'volumes/cpvol/_data/renamed.txt'), 'utf8'), 'alpha\n');
    ok(['exec', 'cprun', 'sh', '-c', 'mkdir -p /out/d && echo gamma > /out/d/g && ln -s /out/d/g /out/link']);
    const dst = path.join(tmp, 'back');
    ok(['cp', 'cprun:/out', dst]);
    assert.equal(readFileSync(path.join(dst, 'd/g'), 'utf8'), 'gamma\n');
    ok(['cp', 'cprun:/out/d/.', path.join(tmp, 'contents')]);
    assert.equal(readFileSync(path.join(tmp, 'contents/g'), 'utf8'), 'gamma\n');
    ok(['cp', '-L', 'cprun:/out/link', path.join(tmp, 'followed')]);
    assert.equal(readFileSync(path.join(tmp, 'followed'), 'utf8'), 'gamma\n');
    ok(['cp', 'cprun:/vol/renamed.txt', path.join(tmp, 'fromvol')]);
    assert.equal(readFileSync(path.join(tmp, 'fromvol'), 'utf8'), 'alpha\n');
  });

  it('streams tars with - on stdin and stdout', () => {
    const tar = tarBuffer([
      { header: { name: 'piped.txt', type: 'file', size: 6, mode: 0o640 }, data: Buffer.from('piped\n') },
    ]);
    ok(['cp', '-', 'cprun:/tmp'], tar);
    assert.equal(ok(['exec', 'cprun', 'cat', '/tmp/piped.txt']), 'piped\n');
    const out = d.docker(['cp', 'cprun:/tmp/piped.txt', '-']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /piped\.txt/);
    assert.match(out.stdout, /piped\n/);
  });

  it('works on a stopped container, volumes included', () => {
    ok(['create', '--name', 'cpstop', '-v', 'cpvol:/vol', 'busybox', 'cat', '/in.txt', '/vol/renamed.txt']);
    writeFileSync(path.join(tmp, 'in.txt'), 'stopped\n');
    ok(['cp', path.join(tmp, 'in.txt'), 'cpstop:/in.txt']);
    ok(['cp', 'cpstop:/vol/renamed.txt', path.join(tmp, 'stopvol')]);
    assert.equal(readFileSync(path.join(tmp, 'stopvol'), 'utf8'), 'alpha\n');
    ok(['start', 'cpstop']);
    assert.equal(ok(['wait', 'cpstop']), '0\n');
    assert.equal(ok(['logs', 'cpstop']), 'stopped\nalpha\n');
    const missing = docker(['cp', 'cpstop:/nope', tmp]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Could not find the file \/nope in container cpstop/);
  });

  it('keeps symlinks inside the container (reads)', () => {
    const secret = path.join(tmp, 'host-secret');
    writeFileSync(secret, 'host only\n');
    ok([
      'exec',
      'cprun',
      'sh',
      '-c',
      `ln -s ${secret} /abs-escape && ln -s ../../../../../../..${secret} /rel-escape && ln -s / /rootlink`,
    ]);
    for (const p of ['/abs-escape', '/rel-escape']) {
      const r = docker(['cp', '-L', `cprun:${p}`, path.join(tmp, 'leak')]);
      assert.notEqual(r.code, 0, `cp -L ${p} must not read the host file`);
      assert.ok(!existsSync(path.join(tmp, 'leak')));
    }

    const r = docker(['cp', `cprun:/rootlink${secret}`, path.join(tmp, 'leak2')]);
    assert.notEqual(r.code, 0);
    assert.ok(!existsSync(path.join(tmp, 'leak2')));
  });

  it('keeps symlinks inside the container (writes): symlink swap to / and ../../etc', () => {
    const victim = mkdtempSync(path.join(tmp, 'victim-'));
    ok([
      'exec',
      'cprun',
      'sh',
      '-c',
      `mkdir -p /w && ln -s / /w/root && ln -s ${victim} /w/abs && ln -s ../../../../..${victim} /w/rel`,
    ]);
    writeFileSync(path.join(tmp, 'payload'), 'pwned\n');
    for (const p of ['/w/abs/', '/w/rel/', `/w/root${victim}/`]) {
      const r = docker(['cp', path.join(tmp, 'payload'), `cprun:${p}`]);
      assert.notEqual(r.code, 0, `cp into ${p} must not reach the host`);
    }
    assert.ok(!existsSync(path.join(victim, 'payload')), 'nothing was written on the host');
    // Through the archive itself: `..`, absolute names, a link then a file below it, a device.
    const bad: [string, Buffer][] = [
      [
        'dotdot',
        tarBuffer([
          {
            header: { name: '../../../../../..' + victim + '/dd', type: 'file', size: 1 },
            data: Buffer.from('x'),
          },
        ]),
      ],
      [
        'absolute',
        tarBuffer([{ header: { name: victim + '/abs', type: 'file', size: 1 }, data: Buffer.from('x') }]),
      ],
      [
        'link-then-file',
        tarBuffer([
          { header: { name: 'l', type: 'symlink', linkname: victim } },
          { header: { name: 'l/viasym', type: 'file', size: 1 }, data: Buffer.from('x') },
        ]),
      ],
      ['device', tarBuffer([{ header: { name: 'null2', type: 'char', devmajor: 1, devminor: 3 } }])],
      [
        'existing-symlink',
        tarBuffer([{ header: { name: 'abs/planted', type: 'file', size: 1 }, data: Buffer.from('x') }]),
      ],
    ];
    for (const [what, tar] of bad) {
      const r = docker(['cp', '-', 'cprun:/w'], tar);
      assert.notEqual(r.code, 0, `${what} archive must be refused`);
    }
    assert.deepEqual(
      ['dd', 'abs', 'viasym', 'planted'].filter((f) => existsSync(path.join(victim, f))),
      [],
      'no archive member reached the host',
    );
    assert.equal(docker(['exec', 'cprun', 'test', '-e', '/w/null2']).code, 1);
    assert.ok(statSync(victim).isDirectory());
  });

  it('gives copied files the container user with -a', () => {
    ok([
      'create',
      '--name',
      'cpuser',
      '--user',
      '1234:5678',
      'busybox',
      'stat',
      '-c',
      '%u:%g',
      '/tmp/owned.txt',
      '/plain.txt',
    ]);
    writeFileSync(path.join(tmp, 'owned.txt'), 'owned\n');
    ok(['cp', '-a', path.join(tmp, 'owned.txt'), 'cpuser:/tmp/']);
    ok(['cp', path.join(tmp, 'owned.txt'), 'cpuser:/plain.txt']);
    assert.equal(ok(['start', '-a', 'cpuser']), '1234:5678\n0:0\n');
  });

  it('refuses writes into a read-only volume', () => {
    ok(['create', '--name', 'cpro', '-v', 'cpvol:/vol:ro', 'busybox']);
    const r = docker(['cp', path.join(tmp, 'in.txt'), 'cpro:/vol/']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /marked read-only/);
  });
});
