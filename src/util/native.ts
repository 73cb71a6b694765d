// The optional native addon `berth_sys` (native/berth_sys.c, built by node-gyp
// when `npm ci` runs): mount(2), umount2(2) and network namespace/veth set-up
// without spawning mount/umount/unshare/ip, each of which costs ~8-15 ms on a
// small VM and sits on the `docker run` path.
//
// Everything it does has a spawn path that stays: withNative() uses the tools
// when the addon is absent (not built, BERTH_NATIVE=0) or the kernel refuses
// the call (ENOSYS, EPERM), and notes once per operation and path which one it took.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BerthSys {
  mount(source: string, target: string, fstype: string, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  /** A new network namespace bound to `file` (an existing empty file), `lo` up. */
  netnsCreate(file: string): void;
  /** veth pair: `host` on `bridge` and up, `peer` moved into the namespace of `netnsFile`. */
  vethCreate(host: string, peer: string, mtu: number, bridge: string, netnsFile: string): void;
  /** Inside the namespace: MAC, address, up, and a default route when `gateway` is given. */
  netnsConfigure(
    netnsFile: string,
    ifname: string,
    mac: string,
    address: string,
    prefixLen: number,
    gateway: string | null,
  ): void;
  /**
   * A detached child (own session) by posix_spawn: /dev/null on fds 0 and 1, pipes on
   * 2 and 3 (it writes), 4 (it reads), 5+ (it writes), `extraPipes` of them from fd 3.
   * Returns [pid, our end for fd 2, for fd 3, …]; reap the pid with reap().
   */
  spawn(file: string, argv: string[], env: string[], cwd: string, extraPipes: number): number[];
  /** The exit status of a spawn()ed child once it ended, -1 while it runs. */
  reap(pid: number): number;
}

export const MS_BIND = 4096;
export const MNT_DETACH = 2;
const ADDON = path.join('build', 'Release', 'berth_sys.node');

type NoteSink = (msg: string, fields: Record<string, unknown>) => void;

let addon: BerthSys | null | undefined;
let whyNot = '';
let sink: NoteSink | undefined;
const pending: [string, Record<string, unknown>][] = [];
const noted = new Set<string>();

/** The package root's build/Release, found from dist/*.mjs bundles and from dist/src/** modules alike. */
function addonPath(): string | undefined {
  let dir: string;
  try {
    dir = path.dirname(fileURLToPath(import.meta.url));
  } catch {
    return undefined; // a CommonJS bundle (the CLI), which never needs the addon
  }
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const p = path.join(dir, ADDON);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The addon, or null (then `nativeUnavailable()` says why). Loaded once. */
export function nativeSys(): BerthSys | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.BERTH_NATIVE === '0') whyNot = 'disabled by BERTH_NATIVE=0';
  else {
    const p = addonPath();
    if (!p) whyNot = `${ADDON} not built`;
    else
      try {
        addon = createRequire(import.meta.url)(p) as BerthSys;
      } catch (e) {
        whyNot = `cannot load ${p}: ${(e as Error).message}`;
      }
  }
  return addon;
}

export function nativeUnavailable(): string {
  nativeSys();
  return whyNot;
}

/** Where the one-time notes go (berthd's debug log); notes made before this are passed on now. */
export function reportNativeTo(f: NoteSink): void {
  sink = f;
  for (const [m, fields] of pending.splice(0)) f(m, fields);
}

function note(op: string, fields: { path: string; reason?: string }): void {
  const key = `${op}:${fields.path}`;
  if (noted.has(key)) return;
  noted.add(key);
  const msg = 'system call path';
  if (sink) sink(msg, { op, ...fields });
  else pending.push([msg, { op, ...fields }]);
}

/** Whether an error from the addon means "not allowed/available here", so the tools should try. */
function refused(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOSYS' || code === 'EPERM';
}

/**
 * `fast` through the addon; `slow` (the tools) when the addon is absent or
 * `fallBack(error)` says the call was refused (default: ENOSYS, EPERM).
 */
export function viaNative<T>(
  op: string,
  fast: (sys: BerthSys) => T,
  slow: () => T,
  fallBack: (e: unknown) => boolean = refused,
): T {
  const sys = nativeSys();
  if (!sys) {
    note(op, { path: 'spawn', reason: whyNot });
    return slow();
  }
  try {
    const r = fast(sys);
    note(op, { path: 'native' });
    return r;
  } catch (e) {
    if (!fallBack(e)) throw e;
    note(op, { path: 'spawn', reason: (e as Error).message });
    return slow();
  }
}

/** viaNative for a step whose spawn path is asynchronous. */
export async function withNative<T>(
  op: string,
  fast: (sys: BerthSys) => T,
  slow: () => Promise<T>,
): Promise<T> {
  return viaNative<T | Promise<T>>(op, fast, slow);
}

/**
 * The exit status of a child started by `sys.spawn`, once it has ended: polled
 * with a doubling delay (libuv reaps only the children it started itself).
 * Rejects with ECHILD when something else collected it.
 */
export function reapWhenDone(
  sys: BerthSys,
  pid: number,
  firstDelayMs: number,
  maxDelayMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const poll = (delay: number): void => {
      let status: number;
      try {
        status = sys.reap(pid);
      } catch (e) {
        return reject(e as Error);
      }
      if (status >= 0) return resolve(status);
      setTimeout(() => poll(Math.min(delay * 2, maxDelayMs)), delay);
    };
    poll(firstDelayMs);
  });
}
