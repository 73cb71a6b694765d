// Go's time.ParseDuration, the one parser behind every duration flag, filter
// and Dockerfile option (docker's CLI and daemon all parse durations with it).

/** Nanoseconds per unit, as Go spells them (both micro signs included). */
const NS_PER_UNIT: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 micro sign
  'μs': 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Either the duration in nanoseconds or Go's error text for `text`. */
export type GoDurationResult = { ns: number } | { error: string };

/**
 * Parse `text` the way Go does: optional sign, then one or more
 * `<decimal><unit>` components (`1h2m3.5s`, `.5s`, `1.s`), or a bare `0`.
 * Errors carry Go's exact messages.
 */
export function parseGoDurationDetailed(text: string): GoDurationResult {
  const invalid = { error: `time: invalid duration "${text}"` };
  let s = text;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return { ns: 0 };
  if (s === '') return invalid;
  let total = 0;
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    // Go needs at least one digit before or after the dot.
    if (num[1] === '' && (num[2] ?? '') === '') return invalid;
    s = s.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === '') return { error: `time: missing unit in duration "${text}"` };
    const scale = NS_PER_UNIT[unit];
    if (scale === undefined) return { error: `time: unknown unit "${unit}" in duration "${text}"` };
    s = s.slice(unit.length);
    total += Number(`${num[1] || '0'}.${num[2] || '0'}`) * scale;
  }
  // Go's time.Duration is an int64 of nanoseconds: ~292 years at most.
  if (total > 2 ** 63) return invalid;
  const ns = Math.round(total);
  return { ns: ns === 0 ? 0 : sign * ns };
}

/** Go duration `text` in nanoseconds, or undefined when Go would reject it. */
export function parseGoDuration(text: string): number | undefined {
  const r = parseGoDurationDetailed(text);
  return 'ns' in r ? r.ns : undefined;
}
