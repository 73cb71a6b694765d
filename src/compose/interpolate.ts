// Variable substitution as the Compose Specification defines it: `$VAR`,
// `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
// `${VAR:+alt}`, `${VAR+alt}`, nesting inside the word (`${A:-${B:-c}}`) and
// `$$` for a literal dollar. Values are interpolated, mapping keys are not.
import { ComposeError } from './model.js';

export type Lookup = (name: string) => string | undefined;

/** `${X:?msg}` on an unset variable (Compose's MissingRequiredError). */
export class MissingRequiredError extends Error {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(
      reason
        ? `required variable ${variable} is missing a value: ${reason}`
        : `required variable ${variable} is missing a value`,
    );
  }
}

/** `${` without its brace or with a bad name (Compose's InvalidTemplateError). */
export class InvalidTemplateError extends Error {
  constructor(readonly template: string) {
    super(`Invalid template: ${JSON.stringify(template)}`);
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Substitutes variables in one string. `onMissing` hears about every plain
 * reference (`$X`, `${X}`) to an unset variable, which becomes "".
 */
export function interpolateString(
  s: string,
  lookup: Lookup,
  onMissing: (name: string) => void = () => {},
): string {
  if (!s.includes('$')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const n = s[i + 1];
    if (n === '$') {
      out += '$';
      i += 2;
    } else if (n === '{') {
      const close = matchingBrace(s, i + 2);
      if (close < 0) throw new InvalidTemplateError(s);
      out += substituteBraced(s.slice(i + 2, close), s, lookup, onMissing);
      i = close + 1;
    } else if (n !== undefined && NAME_START.test(n)) {
      let j = i + 2;
      while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
      const name = s.slice(i + 1, j);
      const v = lookup(name);
      if (v === undefined) onMissing(name);
      out += v ?? '';
      i = j;
    } else {
      // A `$` followed by anything else (or nothing) is kept as written.
      out += '$';
      i++;
    }
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, honouring nesting. */
function matchingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') {
      i++;
    } else if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function substituteBraced(
  body: string,
  whole: string,
  lookup: Lookup,
  onMissing: (name: string) => void,
): string {
  let j = 0;
  if (!NAME_START.test(body[0] ?? '')) throw new InvalidTemplateError(whole);
  while (j < body.length && NAME_CHAR.test(body[j]!)) j++;
  const name = body.slice(0, j);
  const rest = body.slice(j);
  const value = lookup(name);
  if (rest === '') {
    if (value === undefined) onMissing(name);
    return value ?? '';
  }
  const op = /^(:\?|\?|:-|-|:\+|\+)/.exec(rest)?.[1];
  if (!op) throw new InvalidTemplateError(whole);
  // The word after the operator is itself a template (nested defaults).
  const word = () => interpolateString(rest.slice(op.length), lookup, onMissing);
  const unsetOrEmpty = value === undefined || value === '';
  switch (op) {
    case ':-':
      return unsetOrEmpty ? word() : value!;
    case '-':
      return value === undefined ? word() : value;
    case ':+':
      return unsetOrEmpty ? '' : word();
    case '+':
      return value === undefined ? '' : word();
    case ':?':
      if (unsetOrEmpty) throw new MissingRequiredError(name, word());
      return value!;
    default:
      if (value === undefined) throw new MissingRequiredError(name, word());
      return value;
  }
}

/**
 * Interpolates every string value of a parsed Compose file. Paths in errors
 * use Compose's notation (`services.web.environment.[]`).
 */
export function interpolateTree(
  node: unknown,
  lookup: Lookup,
  onMissing: (name: string) => void,
  path: string[] = [],
): unknown {
  if (typeof node === 'string') {
    try {
      return castAt(path, interpolateString(node, lookup, onMissing), node);
    } catch (e) {
      throw pathError(path, e);
    }
  }
  if (Array.isArray(node)) return node.map((v) => interpolateTree(v, lookup, onMissing, [...path, '[]']));
  if (node && typeof node === 'object' && Object.getPrototypeOf(node) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, lookup, onMissing, [...path, k]);
    return out;
  }
  return node;
}

function pathError(path: string[], e: unknown): Error {
  const where = path.join('.');
  if (e instanceof InvalidTemplateError) {
    return new ComposeError(
      `invalid interpolation format for ${where}.\nYou may need to escape any $ with another $.\n${e.template}`,
    );
  }
  if (e instanceof MissingRequiredError)
    return new ComposeError(`error while interpolating ${where}: ${e.message}`);
  return e as Error;
}

// Keys whose values the schema wants as numbers or booleans: a substituted
// string there is converted, as compose-go's type-cast mapping does.
const INT_PATHS = [
  'services.*.deploy.replicas',
  'services.*.scale',
  'services.*.healthcheck.retries',
  'services.*.ports.[].target',
  'services.*.ulimits.*',
  'services.*.ulimits.*.soft',
  'services.*.ulimits.*.hard',
  'services.*.pids_limit',
  'services.*.cpu_count',
  'services.*.cpu_shares',
  'services.*.oom_score_adj',
  'services.*.deploy.resources.limits.pids',
  'services.*.secrets.[].mode',
  'services.*.configs.[].mode',
];
const BOOL_PATHS = [
  'services.*.init',
  'services.*.privileged',
  'services.*.read_only',
  'services.*.stdin_open',
  'services.*.tty',
  'services.*.oom_kill_disable',
  'services.*.healthcheck.disable',
  'services.*.depends_on.*.required',
  'services.*.depends_on.*.restart',
  'services.*.volumes.[].read_only',
  'services.*.volumes.[].bind.create_host_path',
  'services.*.volumes.[].volume.nocopy',
  'services.*.env_file.[].required',
  'networks.*.external',
  'networks.*.internal',
  'networks.*.attachable',
  'networks.*.enable_ipv6',
  'volumes.*.external',
  'secrets.*.external',
  'configs.*.external',
];

function matches(pattern: string, path: string[]): boolean {
  const parts = pattern.split('.');
  return parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i]);
}

function castAt(path: string[], value: string, original: string): unknown {
  if (value === original) return value;
  if (INT_PATHS.some((p) => matches(p, path)) && /^-?\d+$/.test(value)) return Number(value);
  if (BOOL_PATHS.some((p) => matches(p, path))) {
    const low = value.toLowerCase();
    if (['true', 'yes', 'y', 'on', '1'].includes(low)) return true;
    if (['false', 'no', 'n', 'off', '0'].includes(low)) return false;
  }
  return value;
}
