// A host-wide note of which berthd owns which bridges and rules
// (/run/berth-net-owners/<tag>.json). A berthd whose data root is gone (a
// deleted test daemon, an uninstalled engine) can never come back to clean up
// after itself, so the next berthd to start removes its bridges and rules.
// A berthd that merely crashed keeps its data root and reclaims its own state.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/fsx.js';
import { NET_STATE_DIR, withHostLock } from './host-lock.js';
import { Firewall } from './iptables.js';
import { deleteLink, isBareBridge } from './links.js';

export const OWNERS_DIR = NET_STATE_DIR;

export interface OwnerNote {
  tag: string;
  pid: number;
  dataRoot: string;
  bridges: string[];
  /**
   * Names being claimed (`ip link add`) but not yet recorded as networks: noted
   * first, so a berthd killed in between leaves a trace. Only removed by others
   * while still bare (never addressed), as a failed claim names someone else's.
   */
  claiming?: string[];
}

export function readOwner(tag: string, dir = OWNERS_DIR): OwnerNote | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, `${tag}.json`), 'utf8')) as OwnerNote;
  } catch {
    return undefined;
  }
}

export function writeOwner(note: OwnerNote, dir = OWNERS_DIR): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomicSync(path.join(dir, `${note.tag}.json`), JSON.stringify(note));
}

export function removeOwner(tag: string, dir = OWNERS_DIR): void {
  rmSync(path.join(dir, `${tag}.json`), { force: true });
}

/**
 * Bridges recorded by other berthds that still have their data root (with
 * `anyNote`, every bridge or claim named in any other note).
 */
export function bridgesOfOthers(selfTag: string, dir = OWNERS_DIR, anyNote = false): Set<string> {
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
      if (note.tag === selfTag) continue;
      if (anyNote) for (const b of [...note.bridges, ...(note.claiming ?? [])]) out.add(b);
      else if (existsSync(note.dataRoot)) for (const b of note.bridges) out.add(b);
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
    const others = bridgesOfOthers(note.tag, dir);
    for (const b of note.claiming ?? [])
      if (!others.has(b) && (await isBareBridge(b))) await deleteLink(b).catch(() => undefined);
    if (iptables) await new Firewall(note.tag).remove().catch(() => undefined);
    removeOwner(note.tag, dir);
    reaped.push(note.tag);
  }
  return reaped;
}

/**
 * Host-wide mutex for choosing a subnet or a bridge name: held from the choice
 * until the bridge has its address, after which the host's routes and links
 * show it to every other berthd. Without it two berthds starting together
 * pick the same one.
 */
export function withSubnetLock<T>(fn: () => Promise<T>, dir = OWNERS_DIR): Promise<T> {
  return withHostLock(path.join(dir, 'subnets.lock'), fn);
}
