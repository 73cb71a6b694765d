// Terminal handling for attached sessions: raw mode on our stdin, and the
// container's (or exec's) TTY kept at our window size, as docker's
// MonitorTtySize does.
import { spawnSync } from 'node:child_process';
import type { Client } from '../client/client.js';

/** Puts stdin in raw mode when it is a terminal; returns the undo. */
export function makeRaw(stdin: NodeJS.ReadStream): () => void {
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  // libuv's raw mode keeps ONLCR, so the container's "\r\n" would reach the
  // terminal as "\r\r\n"; docker's cfmakeraw turns output processing off.
  // setRawMode(false) restores libuv's saved termios, ONLCR included.
  spawnSync('stty', ['-onlcr'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    try {
      stdin.setRawMode(false);
    } catch {
      /* the terminal went away */
    }
  };
}

export function windowSize(out: NodeJS.WriteStream): { h: number; w: number } | undefined {
  if (!out.isTTY || !out.rows || !out.columns) return undefined;
  return { h: out.rows, w: out.columns };
}

/**
 * Sends our window size to `resizePath` (`/containers/{id}/resize` or
 * `/exec/{id}/resize`) now and on every SIGWINCH; returns the stop function.
 */
export function monitorTtySize(client: Client, resizePath: string, out: NodeJS.WriteStream = process.stdout): () => void {
  const resize = (): void => {
    const size = windowSize(out);
    if (!size) return;
    client
      .open('POST', resizePath, { query: { h: size.h, w: size.w } })
      .then((res) => res.resume())
      .catch(() => undefined); // a resize race with exit is harmless
  };
  resize();
  process.on('SIGWINCH', resize);
  return () => process.off('SIGWINCH', resize);
}
