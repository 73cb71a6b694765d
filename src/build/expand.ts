// Docker's builder word expansion (the `shell.Lex` of the Dockerfile front
// end): quotes, the escape character and `$name`, `${name}`, `${name:-word}`,
// `${name:+word}` and the POSIX forms without the colon. It is not a shell: no
// globbing, no command substitution, no arithmetic.
//
// Which instructions are expanded (Docker's "Environment replacement"): ADD,
// COPY, ENV, EXPOSE, FROM (with meta ARGs only), LABEL, STOPSIGNAL, USER,
// VOLUME, WORKDIR, ARG, and ONBUILD triggers when they run. RUN, CMD,
// ENTRYPOINT and SHELL are never expanded by the builder: the shell does it.
import type { Instruction, Lookup } from './types.js';

export interface LexOptions {
  /** Keep quote characters in the result (used to detect quoted heredoc words). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written (`$x`, `${x}`). */
  skipUnset?: boolean;
}

/** An error while expanding; Docker prints `failed to process "<word>": <reason>`. */
export class ExpansionError extends Error {
  constructor(
    readonly word: string,
    readonly reason: string,
  ) {
    // Go's %q; JSON quoting agrees for printable text.
    super(`failed to process ${JSON.stringify(word)}: ${reason}`);
    this.name = 'ExpansionError';
  }
}

/** Expands one word: quotes removed, variables replaced, escapes applied. */
export function expandWord(word: string, lookup: Lookup, escape = '\\', opts: LexOptions = {}): string {
  return new Lexer(word, lookup, escape, opts).run().text;
}

/** Expands and splits into words on unquoted whitespace (a variable's value is split too). */
export function splitWords(text: string, lookup: Lookup, escape = '\\', opts: LexOptions = {}): string[] {
  return new Lexer(text, lookup, escape, opts).run().words;
}

/** A Lookup over `NAME=value` strings (the last definition wins, like Docker's env list). */
export function lookupFromEnv(env: readonly string[]): Lookup {
  const map = new Map<string, string>();
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i < 0) map.set(kv, '');
    else map.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return (name) => map.get(name);
}

/** Builds the word list the way Docker does: whitespace from variables splits, quoted text never does. */
class Words {
  word = '';
  words: string[] = [];
  inWord = false;

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }
  addRaw(s: string): void {
    this.word += s;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  finish(): string[] {
    if (this.word.length) this.words.push(this.word);
    this.word = '';
    return this.words;
  }
}

const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

class Lexer {
  private readonly chars: string[];
  private pos = 0;

  constructor(
    private readonly source: string,
    private readonly lookup: Lookup,
    private readonly escape: string,
    private readonly opts: LexOptions,
  ) {
    this.chars = Array.from(source);
  }

  run(): { text: string; words: string[] } {
    try {
      return this.until(undefined);
    } catch (e) {
      if (e instanceof LexFailure) throw new ExpansionError(this.source, e.message);
      throw e;
    }
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }
  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Processes until `stop` (consumed) or the end; `stop` undefined = the whole input. */
  private until(stop: string | undefined): { text: string; words: string[] } {
    let text = '';
    const words = new Words();
    while (this.peek() !== undefined) {
      const ch = this.peek()!;
      if (stop !== undefined && ch === stop) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const part = ch === "'" ? this.singleQuote() : ch === '"' ? this.doubleQuote() : this.dollar();
        text += part;
        if (ch === '$') words.addString(part);
        else words.addRaw(part);
        continue;
      }
      let c = this.next()!;
      if (c === this.escape) {
        if (this.opts.rawEscapes) {
          words.addRaw(c);
          text += c;
        }
        const escaped = this.next();
        if (escaped === undefined) break; // an escape at the very end is dropped
        c = escaped;
        words.addRaw(c);
      } else words.addChar(c);
      text += c;
    }
    if (stop !== undefined)
      throw new LexFailure(`unexpected end of statement while looking for matching ${stop}`);
    return { text, words: words.finish() };
  }

  private singleQuote(): string {
    let out = '';
    const open = this.next()!;
    if (this.opts.rawQuotes) out += open;
    for (;;) {
      const c = this.next();
      if (c === undefined)
        throw new LexFailure('unexpected end of statement while looking for matching single-quote');
      if (c === "'") {
        if (this.opts.rawQuotes) out += c;
        return out;
      }
      out += c;
    }
  }

  private doubleQuote(): string {
    let out = '';
    const open = this.next()!;
    if (this.opts.rawQuotes) out += open;
    for (;;) {
      const c = this.peek();
      if (c === undefined)
        throw new LexFailure('unexpected end of statement while looking for matching double-quote');
      if (c === '"') {
        this.next();
        if (this.opts.rawQuotes) out += c;
        return out;
      }
      if (c === '$') {
        out += this.dollar();
        continue;
      }
      let ch = this.next()!;
      if (ch === this.escape) {
        const after = this.peek();
        if (after === undefined) continue; // ignore an escape at the end of the word
        // Only ", $ and the escape itself can be escaped inside double quotes.
        if (after === '"' || after === '$' || after === this.escape) {
          if (this.opts.rawEscapes) out += ch;
          ch = this.next()!;
        }
      }
      out += ch;
    }
  }

  private dollar(): string {
    this.next(); // the $
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const value = this.lookup(name);
      if (value === undefined && this.opts.skipUnset) return '$' + name;
      return value ?? '';
    }
    this.next(); // the {
    const first = this.peek();
    if (first === undefined) throw new LexFailure("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':')
      throw new LexFailure('syntax error: bad substitution');
    const name = this.name();
    const ch = this.next();
    if (ch === '}') {
      const value = this.lookup(name);
      if (value === undefined && this.opts.skipUnset) return '${' + name + '}';
      return value ?? '';
    }
    if (ch === undefined) throw new LexFailure("syntax error: missing '}'");
    const colon = ch === ':';
    const modifier = colon ? this.next() : ch;
    if (modifier === undefined) throw new LexFailure("syntax error: missing '}'");
    if (!['-', '+', '?'].includes(modifier)) {
      if (colon) throw new LexFailure(`unsupported modifier (${modifier}) in substitution`);
      throw new LexFailure("missing ':' in substitution");
    }
    const start = this.pos;
    let word: string;
    try {
      word = this.until('}').text;
    } catch (e) {
      if (this.peek() === undefined) throw new LexFailure("syntax error: missing '}'");
      throw e;
    }
    const value = this.lookup(name);
    if (value === undefined && this.opts.skipUnset) {
      return (
        '${' + name + (colon ? ':' : '') + modifier + this.chars.slice(start, this.pos - 1).join('') + '}'
      );
    }
    // With the colon an empty value counts as unset; without it only unset does.
    const isSet = colon ? value !== undefined && value !== '' : value !== undefined;
    switch (modifier) {
      case '-':
        return isSet ? value! : word;
      case '+':
        return isSet ? word : '';
      default:
        if (isSet) return value!;
        throw new LexFailure(`${name}: ${word || 'is not allowed to be unset'}`);
    }
  }

  /** A name: letters/digits/_ ; a leading digit run or one special parameter character. */
  private name(): string {
    let name = '';
    for (let c = this.peek(); c !== undefined; c = this.peek()) {
      if (name === '' && isDigit(c)) {
        while (this.peek() !== undefined && isDigit(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(c)) return this.next()!;
      if (!/^[\p{L}\p{Nd}_]$/u.test(c)) break;
      name += this.next();
    }
    return name;
  }
}

class LexFailure extends Error {}

function isDigit(c: string): boolean {
  return /^\p{Nd}$/u.test(c);
}

function isSpace(c: string): boolean {
  return /^\s$/u.test(c);
}

/** One name=value of ENV/LABEL/ARG; `value` undefined for `ARG name` without a default. */
export interface KeyValue {
  key: string;
  value?: string;
}

/**
 * The unexpanded pairs of an ENV, LABEL or ARG instruction (quotes still in
 * place): ENV/LABEL args alternate key, value; ARG words split at the first `=`.
 */
export function parseKeyValues(inst: Instruction): KeyValue[] {
  const out: KeyValue[] = [];
  if (inst.keyword === 'ARG') {
    for (const word of inst.args) {
      const i = word.indexOf('=');
      out.push(i < 0 ? { key: word } : { key: word.slice(0, i), value: word.slice(i + 1) });
    }
    return out;
  }
  for (let i = 0; i + 1 < inst.args.length; i += 2)
    out.push({ key: inst.args[i]!, value: inst.args[i + 1]! });
  return out;
}

/**
 * The pairs with keys and values expanded, every value against the variables
 * as they were before the instruction (Docker: `ENV a=1 b=$a` does not see the new a).
 */
export function expandKeyValues(inst: Instruction, lookup: Lookup, escape = '\\'): KeyValue[] {
  return parseKeyValues(inst).map(({ key, value }) => ({
    key: expandWord(key, lookup, escape),
    ...(value === undefined ? {} : { value: expandWord(value, lookup, escape) }),
  }));
}
