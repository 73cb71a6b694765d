// An exclusive lock on the data root that the kernel releases when the
// process dies (even by SIGKILL): SQLite holds an fcntl lock for us.
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Conflict } from '../api/errors.js';

export interface DataRootLock {
  release(): void;
}

export function lockDataRoot(dataRoot: string): DataRootLock {
  const file = path.join(dataRoot, 'berthd.lock');
  const pidFile = path.join(dataRoot, 'berthd.pid');
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch {
    db.close();
    let holder = '';
    try {
      holder = ` (pid ${readFileSync(pidFile, 'utf8').trim()})`;
    } catch {
      /* no pid file: say less */
    }
    throw new Conflict(`another berthd${holder} is already using the data root ${dataRoot}`);
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return {
    release() {
      try {
        db.exec('ROLLBACK');
      } finally {
        db.close();
      }
    },
  };
}
