// The lexical helpers of Docker's Dockerfile parser: flag extraction, word
// splitting with quotes kept, JSON (exec) form detection and the ENV/LABEL
// name=value splitter. Each mirrors one function of Docker's parser.

/** A failure found in one instruction; `parser` = Docker reports it as "failed to parse Dockerfile". */
export class InstructionError extends Error {
  constructor(
    message: string,
    readonly parser = false,
  ) {
    super(message);
  }
}

/** Splits off leading `--flag[=value]` words; returns the rest of the line and the flags as written. */
export function extractFlags(line: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && isSpace(line[pos]!)) pos++;
    if (pos >= line.length) return { rest: '', flags };
    if (!line.startsWith('--', pos)) return { rest: line.slice(pos), flags };
    // Read one flag word: quotes group, backslash escapes (always backslash here, as Docker does).
    let word = '';
    let blankOK = false;
    let quote = '';
    for (; pos < line.length; pos++) {
      const ch = line[pos]!;
      if (quote) {
        if (ch === quote) quote = '';
        else if (ch === '\\') {
          if (pos + 1 === line.length) quote = '';
          else word += line[++pos];
        } else word += ch;
        continue;
      }
      if (isSpace(ch)) break;
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
      } else if (ch === '\\') {
        if (pos + 1 < line.length) word += line[++pos];
      } else word += ch;
    }
    if (word === '--') return { rest: pos >= line.length ? '' : line.slice(pos), flags };
    if (blankOK || word.length) flags.push(word);
  }
}

/** Splits on whitespace, keeping quotes and escapes in the words (Docker's parseWords). */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOK = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (!inWord) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (quote) {
      if (ch === quote) quote = '';
      // Inside single quotes the escape is literal; elsewhere it takes the next character along.
      if (ch === escape && quote !== "'") {
        if (i + 1 === chars.length) {
          quote = '';
          continue;
        }
        word += ch + chars[++i]!;
        continue;
      }
      word += ch;
      continue;
    }
    if (isSpace(ch)) {
      if (blankOK || word.length) words.push(word);
      word = '';
      inWord = false;
      blankOK = false;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      blankOK = true;
    }
    if (ch === escape) {
      if (i + 1 === chars.length) continue; // an escape at the end of the line is dropped
      word += ch + chars[++i]!;
      continue;
    }
    word += ch;
  }
  if (inWord && (blankOK || word.length)) words.push(word);
  return words;
}

export const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/**
 * Exec form detection like Docker: text starting with `[` whose first JSON
 * value is an array of strings (anything after that value is ignored, as Go's
 * json.Decoder does). Returns undefined for shell form; throws for a JSON
 * array holding a non-string.
 */
export function parseJsonArray(rest: string): string[] | undefined {
  const text = rest.replace(/^\s+/, '');
  if (!text.startsWith('[')) return undefined;
  const end = firstJsonValueEnd(text);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) throw new InstructionError(NOT_STRING_ARRAY, true);
  return value as string[];
}

/** End offset of the JSON array starting at 0 (bracket matching outside strings), or -1. */
function firstJsonValueEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * ENV/LABEL arguments as alternating key, value (unexpanded, quotes kept).
 * `KEY name value…` (legacy) when the first word has no `=`; else `a=b c=d`.
 */
export function parseNameVal(rest: string, keyword: string, escape: string): string[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)[\t\v\f\r ]+([\s\S]*)$/.exec(rest);
    if (!m) throw new InstructionError(`${keyword} must have two arguments`, true);
    return [m[1]!, m[2]!];
  }
  const out: string[] = [];
  for (const w of words) {
    const i = w.indexOf('=');
    if (i < 0)
      throw new InstructionError(
        `Syntax error - can't find = in "${w}". Must be of the form: name=value`,
        true,
      );
    out.push(w.slice(0, i), w.slice(i + 1));
  }
  return out;
}

export function isSpace(ch: string): boolean {
  return (
    ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f' || /^\s$/u.test(ch)
  );
}
