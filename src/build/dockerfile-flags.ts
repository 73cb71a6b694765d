// Instruction flags (`--from=x`): which keyword takes which flag, and Docker's
// checks and messages for them (its BFlags), plus HEALTHCHECK's durations.
import { parseGoDurationDetailed } from '../util/go-duration.js';
import { InstructionError } from './dockerfile-words.js';

type FlagKind = 'string' | 'strings';

/** Flags each instruction accepts. RUN's are BuildKit's (the issue asks for them). */
const ALLOWED: Record<string, Record<string, FlagKind>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'strings', network: 'string', security: 'string' },
  COPY: { from: 'string', chown: 'string', chmod: 'string' },
  ADD: { chown: 'string', chmod: 'string' },
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', retries: 'string' },
};

/** Checks `--name[=value]` words for `keyword`; returns them as name/value pairs in order. */
export function checkFlags(
  keyword: string,
  words: string[],
  skipCheck = false,
): { name: string; value: string }[] {
  const allowed = ALLOWED[keyword] ?? {};
  const seen = new Set<string>();
  const out: { name: string; value: string }[] = [];
  for (const word of words) {
    let name = word.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!skipCheck) {
      const kind = allowed[name];
      if (!kind) throw new InstructionError(`Unknown flag: ${name}`);
      if (seen.has(name) && kind !== 'strings')
        throw new InstructionError(`Duplicate flag specified: ${name}`);
      if (value === undefined) throw new InstructionError(`Missing a value on flag: ${name}`);
    }
    seen.add(name);
    out.push({ name, value: value ?? '' });
  }
  return out;
}

/** HEALTHCHECK's flag values, checked the way Docker checks them at parse time. */
export function checkHealthcheckFlags(flags: { name: string; value: string }[]): void {
  for (const { name, value } of flags) {
    if (value === '') continue;
    if (name === 'retries') {
      if (!/^[+-]?\d+$/.test(value))
        throw new InstructionError(`strconv.ParseInt: parsing "${value}": invalid syntax`);
      const n = Number(value);
      if (n < 1) throw new InstructionError(`--retries must be at least 1 (not ${n})`);
      continue;
    }
    const ns = parseGoDuration(value);
    if (ns < 1_000_000) throw new InstructionError(`Interval "${name}" cannot be less than 1ms`);
  }
}

/** Go's time.ParseDuration → nanoseconds, with Go's error texts. */
export function parseGoDuration(text: string): number {
  const r = parseGoDurationDetailed(text);
  if ('error' in r) throw new InstructionError(r.error);
  return r.ns;
}
