// A host-wide note of which berthd owns which bridges and rules
// (/run/berth-net-owners/<tag>.json). A berthd whose data root is gone (a
// deleted test daemon, an uninstalled engine) can never come back to clean up
// after itself, so the next berthd to start removes its bridges and rules.
// A berthd that merely crashed keeps its data root and reclaims its own state.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/fsx.js';
import { Firewall } from './iptables.js';
import { deleteLink } from './links.js';

export const OWNERS_DIR = '/run/berth-net-owners';

export interface OwnerNote {
  tag: string;
  pid: number;
  dataRoot: string;
  bridges: string[];
}

export function writeOwner(note: OwnerNote, dir = OWNERS_DIR): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path.join(dir, `${note.tag}.json`), JSON.stringify(note));
}

export function removeOwner(tag: string, dir = OWNERS_DIR): void {
  rmSync(path.join(dir, `${tag}.json`), { force: true });
}

/** Bridges recorded by other berthds that still have their data root. */
export function bridgesOfOthers(selfTag: string, dir = OWNERS_DIR): Set<string> {
  const out = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return out;
  }
  for (const f of files) {
    try {
      const note = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as OwnerNote;
      if (note.tag !== selfTag && existsSync(note.dataRoot)) for (const b of note.bridges) out.add(b);
    } catch {
      /* a note being rewritten */
    }
  }
  return out;
}

/** Removes bridges and rules of berthds whose data root no longer exists. Returns the tags reaped. */
export async function reapOrphans(selfTag: string, iptables: boolean, dir = OWNERS_DIR): Promise<string[]> {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const reaped: string[] = [];
  for (const f of files) {
    let note: OwnerNote;
    try {
      note = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as OwnerNote;
    } catch {
      continue;
    }
    if (note.tag === selfTag || existsSync(note.dataRoot)) continue;
    for (const b of note.bridges) await deleteLink(b).catch(() => undefined);
    if (iptables) await new Firewall(note.tag).remove().catch(() => undefined);
    removeOwner(note.tag, dir);
    reaped.push(note.tag);
  }
  return reaped;
}

let inProcess: Promise<unknown> = Promise.resolve();

/**
 * Host-wide mutex for choosing a subnet: held from the choice until the bridge
 * has its address, after which the host's routes show the subnet to every
 * other berthd. Without it two berthds starting together pick the same one.
 * SQLite holds an fcntl lock (released by the kernel if we die); calls within
 * this process queue first, as the lock is per process.
 */
export function withSubnetLock<T>(fn: () => Promise<T>, dir = OWNERS_DIR): Promise<T> {
  const run = async (): Promise<T> => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const db = new Database(path.join(dir, 'subnets.lock'), { timeout: 30_000 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      return await fn();
    } finally {
      try {
        if (db.inTransaction) db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    }
  };
  const result = inProcess.then(run, run);
  inProcess = result.catch(() => undefined);
  return result;
}
