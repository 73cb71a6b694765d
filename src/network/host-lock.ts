// Host-wide mutexes shared by every berthd on the machine (choosing subnets
// and bridge names, creating and removing berth's shared iptables chains).
// SQLite holds an fcntl lock on the file, which the kernel releases if the
// holder dies; calls within one process queue first, as the lock is per process.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/** Where berthds leave notes for each other (owner notes, lock files). */
export const NET_STATE_DIR = '/run/berth-net-owners';

/** A berthd starting under heavy load may wait behind several others doing kernel work. */
const WAIT_MS = 180_000;

const queues = new Map<string, Promise<unknown>>();

export function withHostLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const run = async (): Promise<T> => {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const db = new Database(file, { timeout: WAIT_MS });
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
  const prev = queues.get(file) ?? Promise.resolve();
  const result = prev.then(run, run);
  const tail = result.catch(() => undefined);
  queues.set(file, tail);
  void tail.then(() => {
    if (queues.get(file) === tail) queues.delete(file);
  });
  return result;
}
