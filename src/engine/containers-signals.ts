// Signal names and numbers as Docker accepts them: "SIGTERM", "TERM", "15",
// "SIGRTMIN+3".
import { constants } from 'node:os';
import { InvalidArgument } from '../api/errors.js';

const SIGNALS = constants.signals as Record<string, number>;
const SIGRTMIN = 34;
const SIGRTMAX = 64;

export interface Signal {
  name: string; // "SIGTERM", or "SIGRTMIN+3"; numeric-only values stay numbers
  number: number;
}

export function parseSignal(raw: string): Signal {
  const v = raw.trim();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > SIGRTMAX) throw new InvalidArgument(`Invalid signal: ${raw}`);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
    return { name: name ?? String(n), number: n };
  }
  const up = v.toUpperCase();
  const name = up.startsWith('SIG') ? up : 'SIG' + up;
  const rt = /^SIGRTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n < SIGRTMIN || n > SIGRTMAX) throw new InvalidArgument(`Invalid signal: ${raw}`);
    return { name, number: n };
  }
  const n = SIGNALS[name];
  if (n === undefined) throw new InvalidArgument(`Invalid signal: ${raw}`);
  return { name, number: n };
}
