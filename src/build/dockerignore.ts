// .dockerignore as the docker CLI applies it (moby's ignorefile + patternmatcher):
// one pattern a line, `#` comments, `!` exceptions, Go filepath.Match globs
// plus `**`; a pattern matches a path or any of its parent directories and
// the last matching pattern wins.
import path from 'node:path';

/** Reads a .dockerignore: comments and blank lines dropped, patterns cleaned, a leading `/` removed. */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.startsWith('#')) return;
      let pattern = line.trim();
      if (pattern === '') return;
      const invert = pattern.startsWith('!');
      if (invert) pattern = pattern.slice(1).trim();
      if (pattern.length > 0) {
        pattern = goClean(pattern);
        if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
      }
      out.push(invert ? '!' + pattern : pattern);
    });
  return out;
}

/** Go's filepath.Clean for slash paths. */
export function goClean(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

class Pattern {
  readonly matchType: MatchType;
  private readonly regexp?: RegExp;

  constructor(
    readonly text: string,
    readonly exclusion: boolean,
  ) {
    const compiled = compile(text);
    this.matchType = compiled.type;
    this.regexp = compiled.regexp;
  }

  matches(file: string): boolean {
    switch (this.matchType) {
      case 'exact':
        return file === this.text;
      case 'prefix':
        return file.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        const suffix = this.text.slice(2);
        if (file.endsWith(suffix)) return true;
        return suffix.startsWith('/') && file === suffix.slice(1); // **/foo matches foo
      }
      default:
        return this.regexp!.test(file);
    }
  }
}

/** Matches context-relative slash paths against .dockerignore patterns. */
export class DockerignoreMatcher {
  private readonly patterns: Pattern[] = [];
  /** True when some pattern starts with `!`. */
  readonly hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      p = goClean(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
      }
      checkGlob(p);
      this.patterns.push(new Pattern(p, exclusion));
    }
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  /** Whether `rel` (cleaned, slash-separated, relative to the context) is left out of the context. */
  isExcluded(rel: string): boolean {
    if (this.patterns.length === 0) return false;
    const file = goClean(rel);
    if (file === '.') return false;
    const parent = path.posix.dirname(file);
    const parents = parent === '.' ? [] : parent.split('/');
    let matched = false;
    for (const pattern of this.patterns) {
      // An inclusion cannot change a match, an exclusion cannot change a non-match.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.matches(file);
      for (let i = 0; !match && i < parents.length; i++)
        match = pattern.matches(parents.slice(0, i + 1).join('/'));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * For an excluded directory: whether the walk must still go inside because
   * an exception could re-include something below it (the CLI's rule: an
   * exception pattern that starts with `dir/`).
   */
  mustDescend(dirRel: string): boolean {
    const dirSlash = dirRel + '/';
    return this.patterns.some((p) => p.exclusion && (p.text + '/').startsWith(dirSlash));
  }
}

/**
 * The CLI always sends .dockerignore and the Dockerfile, even when ignored
 * (dockerd reads them, then drops them from the context itself).
 */
export function keepBuildFiles(
  excludes: string[],
  dockerfile: string,
  dockerfileFromStdin: boolean,
): string[] {
  const out = [...excludes];
  if (new DockerignoreMatcher(out).isExcluded('.dockerignore')) out.push('!.dockerignore');
  if (!dockerfileFromStdin && new DockerignoreMatcher(out).isExcluded(dockerfile)) out.push('!' + dockerfile);
  return out;
}

/**
 * Server side (dockerd's removeDockerfile): after reading the Dockerfile,
 * dockerd deletes `.dockerignore` and the Dockerfile from the extracted
 * context when the context's .dockerignore matches them, so `COPY . /x` never
 * copies them. Returns the context-relative paths to delete (none without a
 * .dockerignore). This is also how a Dockerfile sent as `.dockerfile.<hex>`
 * (from stdin or outside the context) stays out of the image.
 */
export function contextFilesToDrop(dockerignoreText: string | undefined, dockerfile: string): string[] {
  if (dockerignoreText === undefined) return [];
  let matcher: DockerignoreMatcher;
  try {
    matcher = new DockerignoreMatcher(readDockerignore(dockerignoreText));
  } catch {
    return []; // dockerd ignores a .dockerignore it cannot use here
  }
  return ['.dockerignore', dockerfile].filter((f) => matcher.isExcluded(f));
}

const REGEXP_SPECIAL = new Set(['.', '+', '(', ')', '{', '}', '|', '^', '$']);

/** The pattern → a match type (and a regexp when needed), as patternmatcher compiles it. */
function compile(pattern: string): { type: MatchType; regexp?: RegExp } {
  const chars = Array.from(pattern);
  let re = '^';
  let type: MatchType = 'exact';
  for (let i = 0, pos = 0; pos < chars.length; i++) {
    const ch = chars[pos++]!;
    if (ch === '*') {
      if (chars[pos] === '*') {
        pos++;
        if (chars[pos] === '/') pos++; // `**/` behaves as `**`
        if (pos >= chars.length) {
          // A trailing `**` takes everything below, like .gitignore.
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (i === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (REGEXP_SPECIAL.has(ch)) {
      re += '\\' + ch;
    } else if (ch === '\\') {
      if (pos < chars.length) {
        re += escapeRegExp(chars[pos++]!);
        type = 'regexp';
      } else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else re += ch;
  }
  if (type !== 'regexp') return { type };
  try {
    return { type, regexp: new RegExp(re + '$', 's') };
  } catch {
    throw new Error('syntax error in pattern');
  }
}

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? '\\' + ch : ch;
}

/** Go's filepath.Match syntax check: balanced character classes, no trailing escape. */
function checkGlob(pattern: string): void {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 >= pattern.length) throw new Error('syntax error in pattern');
      i++;
    } else if (c === '[' && !inClass) {
      inClass = true;
      if (pattern[i + 1] === '^' || pattern[i + 1] === '!') i++;
      if (pattern[i + 1] === ']') throw new Error('syntax error in pattern');
    } else if (c === ']' && inClass) inClass = false;
  }
  if (inClass) throw new Error('syntax error in pattern');
}
