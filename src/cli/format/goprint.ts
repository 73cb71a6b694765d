// Go's fmt rendering of JSON-shaped values (%v, and printf basics), so that
// templates print maps, slices and nils the way the docker CLI does.

/** Go's %v. `top` marks a template action's own value, where nil is "<no value>". */
export function goPrint(v: unknown, top = false): string {
  if (v === null || v === undefined) return top ? '<no value>' : '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return '[' + v.map((x) => goPrint(x)).join(' ') + ']';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.toString === 'function' && o.toString !== Object.prototype.toString) return o.toString();
    return (
      'map[' +
      Object.keys(o)
        .sort()
        .map((k) => `${k}:${goPrint(o[k])}`)
        .join(' ') +
      ']'
    );
  }
  return String(v);
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return goG(n, -1);
}

/** Go's %g (precision -1 = shortest): exponent form for exp < -4 or exp >= precision. */
export function goG(x: number, precision: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const sci = precision < 0 ? x.toExponential() : x.toExponential(Math.max(precision - 1, 0));
  const [mant, expStr] = sci.split('e');
  const exp = Number(expStr);
  const limit = precision < 0 ? 21 : precision === 0 ? 1 : precision;
  if (exp < -4 || exp >= limit) {
    const m = mant.includes('.') ? mant.replace(/\.?0+$/, '') : mant;
    const e = Math.abs(exp);
    return `${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' + e : e}`;
  }
  if (precision < 0) return String(x);
  const fixed = x.toFixed(Math.max(limit - 1 - exp, 0));
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** printf with %s %v %d %q %x %f %t %% and widths/flags (`%-10s`, `%05d`). */
export function goSprintf(format: string, args: unknown[]): string {
  let ai = 0;
  return format.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g,
    (m, flags: string, width?: string, prec?: string, verb?: string) => {
      if (verb === '%') return '%';
      if (ai >= args.length) return `%!${verb}(MISSING)`;
      const a = args[ai++];
      let s: string;
      switch (verb) {
        case 'd':
          s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${goPrint(a)})`;
          break;
        case 'q':
          s = JSON.stringify(goPrint(a));
          break;
        case 'x':
          s = typeof a === 'number' ? a.toString(16) : Buffer.from(goPrint(a)).toString('hex');
          break;
        case 'f':
          s = Number(a).toFixed(prec === undefined ? 6 : Number(prec));
          break;
        case 't':
        case 's':
        case 'v':
          s = goPrint(a);
          if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
          break;
        default:
          return m;
      }
      const w = width ? Number(width) : 0;
      if (s.length < w) {
        if (flags.includes('-')) s = s.padEnd(w);
        else s = s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
      }
      return s;
    },
  );
}

/** Objects rebuilt with sorted keys, as Go marshals maps (and structs whose fields are in that order). */
export function sortedKeys<T>(v: T, deep = false): T {
  if (Array.isArray(v)) return (deep ? v.map((x) => sortedKeys(x, true)) : v) as T;
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, deep ? sortedKeys(o[k], true) : o[k]]),
  ) as T;
}
