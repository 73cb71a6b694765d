// Dotenv files as Compose reads them (`.env`, `--env-file`, a service's
// `env_file`): `KEY=VALUE`, optional `export ` prefix, `#` comments (a full
// line, or after whitespace behind an unquoted value), single quotes taken
// literally, double quotes with escapes and line breaks, `${VAR}` interpolated
// inside unquoted and double-quoted values (earlier keys of the same file
// first, then the lookup). A bare `KEY` takes its value from the lookup and is
// left out when the lookup has none.
import { readFileSync } from 'node:fs';
import { ComposeError } from './model.js';
import { interpolateString, type Lookup } from './interpolate.js';

export function parseEnvFile(path: string, lookup: Lookup = () => undefined): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ComposeError(`couldn't find env file: ${path}`);
  }
  return parseDotenv(text, lookup, path);
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.\-[\]]*$/;

export function parseDotenv(
  text: string,
  lookup: Lookup = () => undefined,
  file = '.env',
): Record<string, string> {
  const out: Record<string, string> = {};
  const own: Lookup = (k) => (Object.hasOwn(out, k) ? out[k] : lookup(k));
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let pos = 0;
  let line = 1;
  while (pos < src.length) {
    const eol = src.indexOf('\n', pos);
    const end = eol < 0 ? src.length : eol;
    const raw = src.slice(pos, end);
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = end + 1;
      line++;
      continue;
    }
    const body = trimmed.replace(/^export\s+/, '');
    const sep = body.search(/[=:]/);
    if (sep < 0) {
      // A bare key: its value comes from the environment, or it is skipped.
      const key = body.replace(/\s+#.*$/, '').trim();
      if (!KEY.test(key))
        throw new ComposeError(
          `failed to read ${file}: line ${line}: unexpected character "${key[0] ?? ''}" in variable name "${key}"`,
        );
      const v = lookup(key);
      if (v !== undefined) out[key] = v;
      pos = end + 1;
      line++;
      continue;
    }
    const key = body.slice(0, sep).trim();
    if (!KEY.test(key)) {
      const bad = [...key].find((c) => !/[A-Za-z0-9_.\-[\]]/.test(c)) ?? key[0] ?? '';
      throw new ComposeError(
        `failed to read ${file}: line ${line}: unexpected character "${bad}" in variable name "${body.split(/[=:]/)[0]?.trim()}"`,
      );
    }
    // The value starts after the separator within the original source, so a
    // quoted value may run over several lines.
    const valueStart = pos + raw.indexOf(raw.trimStart()) + (trimmed.length - body.length) + sep + 1;
    let vpos = valueStart;
    while (vpos < src.length && (src[vpos] === ' ' || src[vpos] === '\t')) vpos++;
    const q = src[vpos];
    if (q === '"' || q === "'") {
      const close = findClosingQuote(src, vpos + 1, q);
      if (close < 0)
        throw new ComposeError(`failed to read ${file}: line ${line}: unterminated quoted value ${key}`);
      const inner = src.slice(vpos + 1, close);
      out[key] = q === "'" ? inner : substitute(unescapeDouble(inner), own, file, line);
      line += (src.slice(pos, close).match(/\n/g) ?? []).length + 1;
      const next = src.indexOf('\n', close);
      pos = next < 0 ? src.length : next + 1;
      continue;
    }
    let value = src.slice(vpos, end);
    const hash = value.search(/\s#/);
    if (hash >= 0) value = value.slice(0, hash);
    out[key] = substitute(value.trim(), own, file, line);
    pos = end + 1;
    line++;
  }
  return out;
}

/** Interpolation inside a value; a bad template or a missing required variable names the file and line. */
function substitute(value: string, lookup: Lookup, file: string, line: number): string {
  try {
    return interpolateString(value, lookup);
  } catch (e) {
    throw new ComposeError(`failed to read ${file}: line ${line}: ${(e as Error).message}`);
  }
}

function findClosingQuote(src: string, from: number, q: string): number {
  for (let i = from; i < src.length; i++) {
    if (q === '"' && src[i] === '\\') {
      i++;
      continue;
    }
    if (src[i] === q) return i;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return c;
    }
  });
}
