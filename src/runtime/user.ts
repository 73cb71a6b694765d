// Resolves Docker's `--user` value ("name", "uid", "name:group", "uid:gid")
// against the container's own /etc/passwd and /etc/group, the way Docker does
// at start: names must exist, numbers pass through even when unknown.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgument } from '../api/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function readRootfsFile(rootfs: string, file: string): string | null {
  try {
    return readFileSync(path.join(rootfs, file), 'utf8');
  } catch {
    return null;
  }
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    out.push({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

const isNumeric = (s: string) => /^\d+$/.test(s);

/** `groupAdd` are Docker's `--group-add` values (names or gids). */
export function resolveUser(rootfs: string, user: string, groupAdd: string[] = []): ResolvedUser {
  const [userArg, groupArg] = user.includes(':')
    ? [user.slice(0, user.indexOf(':')), user.slice(user.indexOf(':') + 1)]
    : [user, ''];
  const passwd = parsePasswd(readRootfsFile(rootfs, 'etc/passwd') ?? '');
  const groups = parseGroup(readRootfsFile(rootfs, 'etc/group') ?? '');

  let entry: PasswdEntry | undefined;
  const result: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  if (userArg === '') {
    entry = passwd.find((p) => p.uid === 0);
  } else if (isNumeric(userArg)) {
    result.uid = Number(userArg);
    entry = passwd.find((p) => p.uid === result.uid);
  } else {
    entry = passwd.find((p) => p.name === userArg);
    if (!entry)
      throw new InvalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
  }
  if (entry) {
    result.uid = entry.uid;
    result.gid = entry.gid;
    result.home = entry.home;
  }

  if (groupArg !== '') {
    if (isNumeric(groupArg)) result.gid = Number(groupArg);
    else {
      const g = groups.find((x) => x.name === groupArg);
      if (!g)
        throw new InvalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
      result.gid = g.gid;
    }
  } else if (entry) {
    // Supplementary groups: every group that lists the user as a member.
    for (const g of groups)
      if (g.members.includes(entry.name) && g.gid !== result.gid) result.additionalGids.push(g.gid);
  }

  // Like Docker (containerd's WithAdditionalGIDs), the primary group leads the list.
  result.additionalGids = [result.gid, ...result.additionalGids.filter((g) => g !== result.gid)];

  for (const add of groupAdd) {
    let gid: number;
    if (isNumeric(add)) gid = Number(add);
    else {
      const g = groups.find((x) => x.name === add);
      if (!g) throw new InvalidArgument(`Unable to find group ${add}: no matching entries in group file`);
      gid = g.gid;
    }
    if (!result.additionalGids.includes(gid)) result.additionalGids.push(gid);
  }
  return result;
}
