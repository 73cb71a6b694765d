// Running commands and looking at processes: timed CLI runs, /proc walks
// for process trees and their memory, killing only PIDs we can show are ours.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Runs a command to completion; never throws. { code, stdout, stderr, ms } */
export function run(cmd, args, { env, input, timeoutMs = 600_000, stdout = 'pipe' } = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    env,
    input,
    maxBuffer: 1 << 30,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdio: ['pipe', stdout, 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    code: r.status ?? 128,
    stdout: r.stdout?.toString() ?? '',
    stderr: (r.stderr?.toString() ?? '') + (r.error ? `\n${r.error.message}` : ''),
    ms,
  };
}

/**
 * As run(), without blocking: for untimed set-up that both engines do side
 * by side. Never rejects; a timeout kills the command (SIGKILL).
 */
export function runAsync(cmd, args, { env, input, timeoutMs = 600_000 } = {}) {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let spawnError = '';
    child.on('error', (e) => (spawnError = `\n${e.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString() + (signal ? `\nkilled by ${signal}` : '') + spawnError,
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** As run(), but throws with the command's stderr when it fails. */
export function must(cmd, args, opts) {
  const r = run(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} → exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return r;
}

export function pids() {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function statusField(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export const ppid = (pid) => statusField(pid, 'PPid');
/** Resident set size in MiB (NaN when the process is gone). */
export const rssMiB = (pid) => statusField(pid, 'VmRSS') / 1024;

/**
 * Proportional set size in MiB: pages shared with other processes (the
 * monitors' common libraries) count divided by their sharers, so it is what
 * one more process costs the machine. NaN when the process is gone.
 */
export function pssMiB(pid) {
  try {
    const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** PIDs whose command line contains `needle` (ourselves excluded). */
export function pidsMatching(needle) {
  return pids().filter((p) => p !== process.pid && cmdline(p).includes(needle));
}

/** Kills by PID, ignoring processes already gone. */
export function killPid(pid, sig = 'SIGKILL') {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(pid, ms) {
  const end = Date.now() + ms;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves true when `p` settles within `ms`, else false; never leaves a timer behind. */
export async function settlesWithin(p, ms) {
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
