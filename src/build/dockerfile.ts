// Dockerfile text → Dockerfile (stages of instructions), following Docker's
// parser: parser directives at the top, comments, line continuations with the
// escape character, heredocs, then per-instruction argument rules
// (dockerfile-instruction.ts). Errors carry dockerd's message text.
import { parseInstruction } from './dockerfile-instruction.js';
import { readHeredocs } from './dockerfile-heredoc.js';
import { InstructionError } from './dockerfile-words.js';
import { DockerfileSyntaxError, type Dockerfile, type Instruction, type Stage } from './types.js';

const PARSE_FAILED = 'failed to parse Dockerfile: ';

export function parseDockerfile(text: string): Dockerfile {
  const { instructions, escape, warnings } = parseLines(text);
  const df: Dockerfile = { escape, metaArgs: [], stages: [] };
  if (warnings.length) df.warnings = warnings;
  for (const inst of instructions) {
    if (inst.keyword === 'FROM') {
      const stage: Stage = { index: df.stages.length, from: inst, instructions: [] };
      if (inst.args.length === 3) stage.name = inst.args[2]!.toLowerCase();
      df.stages.push(stage);
    } else if (df.stages.length) df.stages[df.stages.length - 1]!.instructions.push(inst);
    else if (inst.keyword === 'ARG') df.metaArgs.push(inst);
    else throw new DockerfileSyntaxError('no build stage in current context', inst.line);
  }
  if (df.stages.length === 0) {
    const line = instructions[instructions.length - 1]?.line ?? 1;
    throw new DockerfileSyntaxError('no build stage in current context', line);
  }
  return df;
}

/** Reads physical lines into logical instructions (Docker's parser.Parse). */
function parseLines(text: string): { instructions: Instruction[]; escape: '\\' | '`'; warnings: string[] } {
  const lines = splitLines(text.replace(/^\uFEFF/, ''));
  const directives = new Directives();
  const instructions: Instruction[] = [];
  const warnings: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const lineNo = i + 1;
    const first = lines[i++]!.replace(/^\s+/, '');
    directives.see(first, lineNo);
    const cont = directives.continuation();
    let [line, ended] = trimContinuation(isComment(first) ? '' : first, cont);
    if (ended && line === '') continue;
    let emptyContinuation = false;
    while (!ended && i < lines.length) {
      const raw = lines[i++]!;
      if (isComment(raw)) continue;
      if (raw.trim() === '') {
        emptyContinuation = true;
        continue;
      }
      const [more, end] = trimContinuation(raw, cont);
      line += more;
      ended = end;
    }
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in:\n    ${line}`);
    let inst: Instruction;
    try {
      inst = parseInstruction(line, lineNo, directives.escape);
      i = readHeredocs(inst, line, lines, i);
    } catch (e) {
      if (e instanceof InstructionError) {
        throw new DockerfileSyntaxError(
          e.parser ? PARSE_FAILED + e.message : `dockerfile parse error line ${lineNo}: ${e.message}`,
          lineNo,
        );
      }
      throw e;
    }
    instructions.push(inst);
  }
  if (instructions.length === 0)
    throw new DockerfileSyntaxError(PARSE_FAILED + 'file with no instructions', 1);
  return { instructions, escape: directives.escape, warnings };
}

/** Lines as Go's bufio.ScanLines gives them: split on \n, a trailing \r dropped. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function isComment(line: string): boolean {
  return /^\s*#/.test(line);
}

function trimContinuation(line: string, re: RegExp): [string, boolean] {
  return re.test(line) ? [line.replace(re, '$1'), false] : [line, true];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax']);

/** Parser directives: only in the leading run of `# key=value` lines with a known key. */
class Directives {
  escape: '\\' | '`' = '\\';
  private done = false;
  private readonly seen = new Set<string>();

  see(line: string, lineNo: number): void {
    if (this.done) return;
    const m = DIRECTIVE.exec(line);
    const key = m?.[1]!.toLowerCase();
    if (!m || !KNOWN_DIRECTIVES.has(key!)) {
      this.done = true;
      return;
    }
    if (this.seen.has(key!))
      throw new DockerfileSyntaxError(`${PARSE_FAILED}only one ${key} parser directive can be used`, lineNo);
    this.seen.add(key!);
    if (key === 'escape') {
      const value = m[2]!;
      if (value !== '`' && value !== '\\')
        throw new DockerfileSyntaxError(
          `${PARSE_FAILED}invalid escape token '${value}' does not match \` or \\`,
          lineNo,
        );
      this.escape = value;
    }
  }

  /**
   * The escape character at the end of a line continues it, unless it is
   * itself escaped (`echo \\` ends there; so does `a \\\`, as in Docker).
   */
  continuation(): RegExp {
    return this.escape === '`' ? /([^`])`[ \t]*$|^`[ \t]*$/ : /([^\\])\\[ \t]*$|^\\[ \t]*$/;
  }
}

export { DockerfileSyntaxError };
