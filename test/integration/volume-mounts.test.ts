// Volumes and mounts through the real docker CLI: named volumes outlive
// containers, :ro refuses writes, binds see host changes, copy-up fills a
// new volume from the image, rm -v and prune, inspect's Mounts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

describe('volumes and mounts through the docker CLI', () => {
  let d: TestDaemon;
  let host: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    host = mkdtempSync(path.join(os.tmpdir(), 'berth-vol-bind-'));
  });
  after(async () => {
    await d?.stop();
    if (host) rmSync(host, { recursive: true, force: true });
  });

  // Containers here need no network: --network none keeps these tests about mounts only.
  const docker = (args: string[], input?: string) =>
    d.docker(
      ['run', 'create'].includes(args[0]) ? [args[0], '--network', 'none', ...args.slice(1)] : args,
      input === undefined ? undefined : { input },
    );
  const ok = (args: string[], input?: string) => {
    const r = docker(args, input);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}\n${d.log().slice(-2000)}`);
    return r.stdout;
  };

  it('keeps data in a named volume from one container to the next', () => {
    assert.equal(ok(['volume', 'create', '--label', 'team=a', 'vdata']), 'vdata\n');
    ok(['run', '--rm', '-v', 'vdata:/data', 'busybox', 'sh', '-c', 'echo hello > /data/f']);
    assert.equal(ok(['run', '--rm', '-v', 'vdata:/data', 'busybox', 'cat', '/data/f']), 'hello\n');
    const v = JSON.parse(ok(['volume', 'inspect', 'vdata']))[0];
    assert.equal(v.Name, 'vdata');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.deepEqual(v.Labels, { team: 'a' });
    assert.equal(v.Mountpoint, path.join(d.dataRoot, 'volumes/vdata/_data'));
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(ok(['volume', 'ls', '-q']).split('\n').includes('vdata'));
  });

  it('refuses writes through :ro and shows the mount in inspect', () => {
    const r = docker(['run', '--rm', '-v', 'vdata:/data:ro', 'busybox', 'sh', '-c', 'echo x > /data/g']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Read-only file system/);
    ok([
      'create',
      '--name',
      'insp',
      '-v',
      'vdata:/data:ro',
      '-v',
      `${host}:/h`,
      '-v',
      '/anon',
      '--mount',
      'type=tmpfs,target=/t',
      'busybox',
    ]);
    const mounts = JSON.parse(ok(['inspect', 'insp']))[0].Mounts as Record<string, unknown>[];
    const byDest = Object.fromEntries(mounts.map((m) => [m.Destination, m]));
    assert.deepEqual(byDest['/data'], {
      Type: 'volume',
      Name: 'vdata',
      Source: path.join(d.dataRoot, 'volumes/vdata/_data'),
      Destination: '/data',
      Driver: 'local',
      Mode: 'ro',
      RW: false,
      Propagation: '',
    });
    assert.deepEqual(byDest['/h'], {
      Type: 'bind',
      Source: host,
      Destination: '/h',
      Mode: '',
      RW: true,
      Propagation: 'rprivate',
    });
    assert.equal((byDest['/anon'] as { Type: string }).Type, 'volume');
    assert.match((byDest['/anon'] as { Name: string }).Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(byDest['/t'], {
      Type: 'tmpfs',
      Source: '',
      Destination: '/t',
      Mode: '',
      RW: true,
      Propagation: '',
    });
  });

  it('answers 409 for a volume in use and keeps its data', () => {
    const r = docker(['volume', 'rm', 'vdata']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /remove vdata: volume is in use - \[[0-9a-f]{64}\]/);
    assert.ok(existsSync(path.join(d.dataRoot, 'volumes/vdata/_data/f')));
  });

  it('removes anonymous volumes with rm -v', () => {
    const anon = (
      JSON.parse(ok(['inspect', 'insp']))[0].Mounts as { Destination: string; Name: string }[]
    ).find((m) => m.Destination === '/anon')!.Name;
    ok(['rm', '-v', 'insp']);
    assert.equal(docker(['volume', 'inspect', anon]).code, 1);
    assert.equal(ok(['volume', 'inspect', '-f', '{{.Name}}', 'vdata']), 'vdata\n');
  });

  it('sees host changes through a bind mount and creates a missing host dir', () => {
    writeFileSync(path.join(host, 'note'), 'from host\n');
    assert.equal(ok(['run', '--rm', '-v', `${host}:/h`, 'busybox', 'cat', '/h/note']), 'from host\n');
    writeFileSync(path.join(host, 'note'), 'changed\n');
    assert.equal(ok(['run', '--rm', '-v', `${host}:/h:ro`, 'busybox', 'cat', '/h/note']), 'changed\n');
    const missing = path.join(host, 'made/by/run');
    ok(['run', '--rm', '-v', `${missing}:/m`, 'busybox', 'true']);
    assert.ok(existsSync(missing));
    const r = docker([
      'run',
      '--rm',
      '--mount',
      `type=bind,source=${host}/nope,target=/m`,
      'busybox',
      'true',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /bind source path does not exist/);
  });

  it('copies image content into a new volume (copy-up), keeping owners and modes', () => {
    assert.equal(
      ok(['run', '--rm', '-v', 'vetc:/etc', 'busybox', 'sh', '-c', 'stat -c "%u %a" /etc/passwd']),
      '0 644\n',
    );
    assert.ok(existsSync(path.join(d.dataRoot, 'volumes/vetc/_data/passwd')));
    const r = docker([
      'run',
      '--rm',
      '--mount',
      'type=volume,source=vnocopy,target=/etc,volume-nocopy',
      'busybox',
      'test',
      '-e',
      '/etc/passwd',
    ]);
    assert.equal(r.code, 1, 'volume-nocopy leaves the new volume empty');
  });

  it('mounts --tmpfs and --volumes-from', () => {
    assert.match(
      ok([
        'run',
        '--rm',
        '--tmpfs',
        '/scratch:size=1m',
        'busybox',
        'sh',
        '-c',
        'grep " /scratch " /proc/mounts',
      ]),
      /tmpfs \/scratch tmpfs/,
    );
    ok(['create', '--name', 'src', '-v', 'vdata:/shared', 'busybox']);
    assert.equal(ok(['run', '--rm', '--volumes-from', 'src', 'busybox', 'cat', '/shared/f']), 'hello\n');
    const r = docker(['run', '--rm', '--volumes-from', 'src:ro', 'busybox', 'touch', '/shared/x']);
    assert.notEqual(r.code, 0);
    ok(['rm', 'src']);
  });

  it('gives image VOLUMEs anonymous volumes filled from the image; --rm removes them', () => {
    ok([
      'run',
      '--name',
      'volimg-src',
      'busybox',
      'sh',
      '-c',
      'mkdir -p /seed && echo seeded > /seed/f && chown 1234:5678 /seed/f && chmod 640 /seed/f',
    ]);
    ok(['commit', '-c', 'VOLUME /seed', 'volimg-src', 'volimg:1']);
    ok(['rm', 'volimg-src']);
    ok(['create', '--name', 'volimg-c', 'volimg:1', 'sh', '-c', 'stat -c "%u:%g %a" /seed/f; cat /seed/f']);
    const [m] = JSON.parse(ok(['inspect', 'volimg-c']))[0].Mounts as {
      Name: string;
      Destination: string;
      Mode: string;
    }[];
    assert.equal(m.Destination, '/seed');
    assert.equal(m.Mode, '');
    ok(['start', 'volimg-c']);
    assert.equal(ok(['wait', 'volimg-c']), '0\n');
    assert.equal(ok(['logs', 'volimg-c']), '1234:5678 640\nseeded\n');
    assert.equal(
      ok(['volume', 'inspect', '-f', '{{index .Labels "com.docker.volume.anonymous"}}|', m.Name]),
      '|\n',
    );
    ok(['rm', '-v', 'volimg-c']);
    const before = ok(['volume', 'ls', '-q']);
    assert.equal(ok(['run', '--rm', 'volimg:1', 'cat', '/seed/f']), 'seeded\n');
    assert.equal(ok(['volume', 'ls', '-q']), before, '--rm removed the anonymous volume');
  });

  it('mounts a local volume with driver options (type=tmpfs)', () => {
    ok([
      'volume',
      'create',
      '-d',
      'local',
      '-o',
      'type=tmpfs',
      '-o',
      'device=tmpfs',
      '-o',
      'o=size=2m',
      'vtmp',
    ]);
    assert.match(
      ok([
        'run',
        '--rm',
        '-v',
        'vtmp:/t',
        'busybox',
        'sh',
        '-c',
        'echo in-tmpfs > /t/x; grep " /t " /proc/mounts',
      ]),
      /tmpfs \/t tmpfs/,
    );
    const v = JSON.parse(ok(['volume', 'inspect', 'vtmp']))[0];
    assert.deepEqual(v.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=2m' });
    ok(['volume', 'rm', 'vtmp']);
  });

  it('keeps volumes and planned mounts across a daemon restart', async () => {
    ok(['create', '--name', 'survivor', '-v', 'vdata:/data', 'busybox', 'cat', '/data/f']);
    await d.kill('SIGKILL');
    await d.restart();
    assert.match(ok(['volume', 'ls', '-q']), /^vdata$/m);
    ok(['start', 'survivor']);
    assert.equal(ok(['wait', 'survivor']), '0\n');
    assert.equal(ok(['logs', 'survivor']), 'hello\n');
    ok(['rm', 'survivor']);
  });

  it('prunes anonymous volumes by default, all with -a, and honours label filters', () => {
    assert.match(ok(['volume', 'ls', '-q', '--filter', 'name=vda']), /^vdata\n$/);
    ok(['volume', 'create', '--label', 'keep=yes', 'vkeep']);
    ok(['volume', 'create', 'vplain']);
    ok(['create', '--name', 'anonhold', '-v', '/x', 'busybox']);
    const anon = (JSON.parse(ok(['inspect', 'anonhold']))[0].Mounts as { Name: string }[])[0].Name;
    ok(['rm', 'anonhold']); // without -v: the anonymous volume stays
    assert.equal(ok(['volume', 'inspect', '-f', '{{.Name}}', anon]), anon + '\n');
    assert.match(ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), new RegExp(anon));
    const out = ok(['volume', 'prune', '-f']);
    assert.match(out, new RegExp(anon));
    assert.doesNotMatch(out, /vplain|vkeep/);
    const out2 = ok(['volume', 'prune', '-f', '-a', '--filter', 'label!=keep=yes']);
    assert.match(out2, /vplain/);
    assert.doesNotMatch(out2, /vkeep/);
    assert.equal(ok(['volume', 'ls', '-q', '--filter', 'label=keep=yes']), 'vkeep\n');
  });
});
