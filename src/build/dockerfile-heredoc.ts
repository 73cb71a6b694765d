// Here-documents (`RUN <<EOF`, `COPY <<a.txt <<b.txt /dst/`), as BuildKit's
// Dockerfile syntax defines them: a word `<<[-]NAME` in a RUN/COPY/ADD shell
// form line opens one; its body is the following lines up to NAME alone on a
// line. A quoted NAME (`<<'EOF'`, `<<"EOF"`) turns off expansion of the body.
import { ExpansionError, splitWords } from './expand.js';
import { InstructionError } from './dockerfile-words.js';
import type { Heredoc, Instruction } from './types.js';

const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;
const CAN_HOLD_HEREDOCS = new Set(['RUN', 'COPY', 'ADD']);
const unset = (): undefined => undefined;

/**
 * Reads the bodies of the heredocs `line` opens from `lines[next…]` into
 * `inst.heredocs`; returns the index of the first line after them.
 */
export function readHeredocs(inst: Instruction, line: string, lines: string[], next: number): number {
  if (!CAN_HOLD_HEREDOCS.has(inst.keyword) || inst.json || inst.args.length === 0) return next;
  for (const doc of heredocsIn(line)) {
    let done = false;
    let content = '';
    while (next < lines.length) {
      const raw = lines[next++]!;
      const candidate = doc.chomp ? raw.replace(/^\t+/, '') : raw;
      if (candidate === doc.name) {
        done = true;
        break;
      }
      content += (doc.chomp ? candidate : raw) + '\n';
    }
    if (!done) throw new InstructionError('unterminated heredoc', true);
    inst.heredocs.push({ ...doc, content });
  }
  return next;
}

/** The heredoc words of one logical line, in order (no bodies yet). */
export function heredocsIn(line: string): Heredoc[] {
  let words: string[];
  try {
    words = splitWords(line, unset, '\\', { rawQuotes: true, rawEscapes: true });
  } catch (e) {
    if (e instanceof ExpansionError) return []; // unbalanced quotes: no heredocs, as Docker
    throw e;
  }
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredocWord(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

function parseHeredocWord(word: string): Heredoc | undefined {
  const m = HEREDOC_WORD.exec(word);
  if (!m || m[3] === '') return undefined;
  const rest = m[3]!;
  let plain: string[];
  let raw: string[];
  try {
    plain = splitWords(rest, unset, '\\', { skipUnset: true });
    raw = splitWords(rest, unset, '\\', { skipUnset: true, rawQuotes: true });
  } catch (e) {
    if (e instanceof ExpansionError) throw new InstructionError(e.message, true);
    throw e;
  }
  if (plain.length !== 1 || raw.length !== 1) return undefined;
  // Quotes that vanish when quotes are processed mean part of the word was quoted.
  const quotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return { name: plain[0]!, content: '', chomp: m[2] === '-', expand: quotes(plain[0]!) === quotes(raw[0]!) };
}
