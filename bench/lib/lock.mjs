// One bench at a time per machine: every run uses the same bridge names
// (bbench0/bbench1) and subnets, so a second run waits for the first instead
// of tearing down its network. The lock is a directory holding the owner's
// PID; a lock whose owner is gone is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const LOCK = '/run/berth-bench.lock';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
};

function owner() {
  try {
    return Number(readFileSync(`${LOCK}/pid`, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/** Waits until no other bench holds the lock, then takes it; returns the release function. */
export async function benchLock(log) {
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(`${LOCK}/pid`, String(process.pid));
      return () => {
        if (owner() === process.pid) rmSync(LOCK, { recursive: true, force: true });
      };
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    const pid = owner();
    // A holder that died (or has not written its PID for a while) leaves a stale lock.
    if (!pid || !alive(pid)) {
      await new Promise((r) => setTimeout(r, 500));
      if (owner() === pid) rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (!told) log(`another bench (pid ${pid}) is running; waiting for it to finish`);
    told = true;
    await new Promise((r) => setTimeout(r, 3000));
  }
}
