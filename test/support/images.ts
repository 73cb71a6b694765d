// Test images built on this machine, so tests need no registry: a busybox
// root filesystem made from Debian's busybox-static, laid out like the
// official busybox image, imported through the Engine API.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError, eachJsonLine } from '../../src/client/client.js';
import type { Client } from '../../src/client/client.js';

export const BUSYBOX_BIN = '/bin/busybox';
/** Bump when the layout below changes, so cached tars are rebuilt. */
const LAYOUT_VERSION = 2;

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'user:x:1000:1000:user:/home/user:/bin/sh',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
  '',
].join('\n');
const GROUP = [
  'root:x:0:',
  'daemon:x:1:',
  'wheel:x:10:root',
  'user:x:1000:',
  'nogroup:x:65534:',
  'nobody:x:65534:',
  '',
].join('\n');
const SHADOW = [
  'root:*:10933:0:99999:7:::',
  'daemon:*:10933:0:99999:7:::',
  'user:*:10933:0:99999:7:::',
  'nobody:*:10933:0:99999:7:::',
  '',
].join('\n');

/**
 * Path of a busybox rootfs tar (uncompressed), built once per machine and
 * cached under the OS temp dir. Safe when several test processes race: each
 * builds in its own temp dir and renames the finished tar into place.
 */
export function busyboxTar(): string {
  if (!existsSync(BUSYBOX_BIN))
    throw new Error(
      `${BUSYBOX_BIN} is missing: install Debian's busybox-static (apt-get install busybox-static)`,
    );
  const key = createHash('sha256')
    .update(readFileSync(BUSYBOX_BIN))
    .update(`layout-${LAYOUT_VERSION}`)
    .digest('hex')
    .slice(0, 16);
  const target = path.join(os.tmpdir(), `berth-busybox-${key}.tar`);
  if (existsSync(target)) return target;

  const work = mkdtempSync(path.join(os.tmpdir(), 'berth-busybox-build-'));
  try {
    const root = path.join(work, 'rootfs');
    layOutRootfs(root);
    const tmpTar = path.join(work, 'rootfs.tar');
    const r = spawnSync(
      'tar',
      [
        '--create',
        '--file',
        tmpTar,
        '--directory',
        root,
        '--sort=name',
        '--mtime=@0',
        '--owner=0',
        '--group=0',
        '--numeric-owner',
        '--format=gnu',
        '.',
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`tar failed (${r.status}): ${r.stderr}`);
    renameSync(tmpTar, target); // atomic: readers see the whole tar or none
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return target;
}

function layOutRootfs(root: string): void {
  const dir = (p: string, mode = 0o755): void => {
    mkdirSync(path.join(root, p), { recursive: true });
    chmodSync(path.join(root, p), mode); // mkdir's mode is filtered by umask
  };
  const file = (p: string, content: string, mode = 0o644): void => {
    writeFileSync(path.join(root, p), content);
    chmodSync(path.join(root, p), mode);
  };
  for (const d of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'etc',
    'home',
    'var',
    'var/spool/mail',
    'var/www',
    'dev',
    'proc',
    'sys',
    'lib',
  ])
    dir(d);
  dir('root', 0o700);
  dir('tmp', 0o1777);

  const busybox = path.join(root, 'bin/busybox');
  writeFileSync(busybox, readFileSync(BUSYBOX_BIN));
  chmodSync(busybox, 0o755);
  // Applets are hard links to the one binary, as in the official image.
  const list = spawnSync(BUSYBOX_BIN, ['--list-full'], { encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`busybox --list-full failed: ${list.stderr}`);
  for (const applet of list.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const dest = path.join(root, applet);
    if (existsSync(dest)) continue;
    mkdirSync(path.dirname(dest), { recursive: true });
    linkSync(busybox, dest);
  }
  if (!existsSync(path.join(root, 'bin/sh'))) linkSync(busybox, path.join(root, 'bin/sh'));

  file('etc/passwd', PASSWD);
  file('etc/group', GROUP);
  file('etc/shadow', SHADOW, 0o640);
  file('etc/hostname', 'busybox\n');
  file('etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  file('etc/resolv.conf', '');
  file('etc/nsswitch.conf', 'hosts: files dns\n');
}

/** Splits `name[:tag]` (a registry port is not a tag). */
export function splitRef(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/**
 * Imports the busybox rootfs as `ref` with `CMD ["sh"]` through
 * `POST /images/create?fromSrc=-` (what `docker import` sends) and returns
 * the image ID. A ref that already exists is not imported again.
 */
export async function ensureBusybox(d: { client: Client }, ref = 'busybox:latest'): Promise<string> {
  const existing = await imageId(d.client, ref);
  if (existing) return existing;
  const { repo, tag } = splitRef(ref);
  const res = await d.client.call('POST', '/images/create', {
    query: { fromSrc: '-', repo, tag, changes: ['CMD ["sh"]'] },
    headers: { 'Content-Type': 'application/x-tar' },
    stream: createReadStream(busyboxTar()),
  });
  let failure: string | undefined;
  await eachJsonLine(res, (msg: { error?: string; errorDetail?: { message?: string } }) => {
    if (msg.error) failure = msg.errorDetail?.message ?? msg.error;
  });
  if (failure) throw new Error(`importing ${ref} failed: ${failure}`);
  const id = await imageId(d.client, ref);
  if (!id) throw new Error(`importing ${ref} reported success but GET /images/${ref}/json does not find it`);
  return id;
}

async function imageId(client: Client, ref: string): Promise<string | undefined> {
  try {
    const img = await client.get<{ Id: string }>(`/images/${ref}/json`);
    return img.Id;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}
