// Parser for the subset of Go's text/template that docker's --format users
// write: actions with pipelines, field chains, variables, function calls,
// if/else/range/with/end and {{- -}} trimming.

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipeline; then: Node[]; else: Node[] };

export interface Pipeline {
  decl: string[]; // `$x :=` or `$i, $e :=`
  assign: boolean; // `$x = …` (re-assignment)
  cmds: Operand[][]; // commands separated by `|`; each is a list of operands
}

export type Operand =
  | { kind: 'field'; base: 'dot' | string; chain: string[]; pos?: number; text?: string } // `.A.B`, `$x.A`, `$`
  | { kind: 'ident'; name: string } // function name
  | { kind: 'lit'; value: unknown }
  | { kind: 'pipe'; pipe: Pipeline; chain: string[] };

export class TemplateError extends Error {}

interface Tok {
  t:
    | 'str'
    | 'num'
    | 'field'
    | 'var'
    | 'ident'
    | 'pipe'
    | 'lparen'
    | 'rparen'
    | 'decl'
    | 'assign'
    | 'comma'
    | 'dot';
  v: string;
  /** Byte offset in the whole template (Go reports it in errors). */
  p: number;
}

const PUNCT: Record<string, Tok['t']> = {
  '|': 'pipe',
  '(': 'lparen',
  ')': 'rparen',
  ',': 'comma',
  '=': 'assign',
};

function lexAction(src: string, base: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const push = (t: Tok['t'], v: string, at = i): number => toks.push({ t, v, p: base + at });
  const ident = /[A-Za-z0-9_]/;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      push('str', JSON.parse(src.slice(i, j + 1)) as string);
      i = j + 1;
    } else if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      push('str', src.slice(i + 1, j));
      i = j + 1;
    } else if (c in PUNCT) {
      push(PUNCT[c], c);
      i++;
    } else if (c === ':' && src[i + 1] === '=') {
      push('decl', ':=');
      i += 2;
    } else if (c === '.' || c === '$') {
      let j = i + 1;
      while (j < src.length && (ident.test(src[j]) || (src[j] === '.' && ident.test(src[j + 1] ?? '')))) j++;
      const word = src.slice(i, j);
      if (word === '.') push('dot', '.');
      else push(c === '.' ? 'field' : 'var', word);
      i = j;
    } else if (/[-+0-9]/.test(c)) {
      const m = /^[-+]?(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?)/.exec(src.slice(i));
      if (!m) throw new TemplateError(`bad number syntax: ${src.slice(i, i + 5)}`);
      push('num', m[0]);
      i += m[0].length;
    } else if (ident.test(c)) {
      let j = i;
      while (j < src.length && ident.test(src[j])) j++;
      push('ident', src.slice(i, j));
      i = j;
    } else throw new TemplateError(`unexpected "${c}" in command`);
  }
  return toks;
}

function parsePipeline(toks: Tok[], pos: { i: number }, inParen = false): Pipeline {
  const pipe: Pipeline = { decl: [], assign: false, cmds: [] };
  // Variable declarations: `$x :=` or `$i, $e :=`.
  const save = pos.i;
  const vars: string[] = [];
  while (toks[pos.i]?.t === 'var') {
    vars.push(toks[pos.i].v);
    pos.i++;
    if (toks[pos.i]?.t === 'comma') pos.i++;
    else break;
  }
  const op = toks[pos.i];
  if (vars.length && op && (op.t === 'decl' || op.t === 'assign')) {
    pipe.decl = vars;
    pipe.assign = op.t === 'assign';
    pos.i++;
  } else pos.i = save;

  let cmd: Operand[] = [];
  for (;;) {
    const tok = toks[pos.i];
    if (!tok || (inParen && tok.t === 'rparen')) break;
    pos.i++;
    if (tok.t === 'pipe') {
      if (!cmd.length) throw new TemplateError('missing command');
      pipe.cmds.push(cmd);
      cmd = [];
      continue;
    }
    cmd.push(operand(tok, toks, pos));
  }
  if (!cmd.length) throw new TemplateError('missing value for command');
  pipe.cmds.push(cmd);
  return pipe;
}

function operand(tok: Tok, toks: Tok[], pos: { i: number }): Operand {
  switch (tok.t) {
    case 'str':
      return { kind: 'lit', value: tok.v };
    case 'num':
      return { kind: 'lit', value: Number(tok.v) };
    case 'dot':
      return { kind: 'field', base: 'dot', chain: [] };
    case 'field': {
      // Go positions a chain `.A.B` at its second field.
      const second = tok.v.indexOf('.', 1);
      return {
        kind: 'field',
        base: 'dot',
        chain: tok.v.slice(1).split('.'),
        pos: tok.p + (second > 0 ? second : 0),
        text: tok.v,
      };
    }
    case 'var': {
      const [name, ...chain] = tok.v.split('.');
      return { kind: 'field', base: name, chain };
    }
    case 'ident':
      if (tok.v === 'true' || tok.v === 'false') return { kind: 'lit', value: tok.v === 'true' };
      if (tok.v === 'nil') return { kind: 'lit', value: null };
      return { kind: 'ident', name: tok.v };
    case 'lparen': {
      const pipe = parsePipeline(toks, pos, true);
      if (toks[pos.i]?.t !== 'rparen') throw new TemplateError('unclosed left paren');
      pos.i++;
      // `(index .X 0).Field`
      const next = toks[pos.i];
      let chain: string[] = [];
      if (next?.t === 'field') {
        chain = next.v.slice(1).split('.');
        pos.i++;
      }
      return { kind: 'pipe', pipe, chain };
    }
    default:
      throw new TemplateError(`unexpected "${tok.v}" in operand`);
  }
}

/** Parses a template into a tree; errors carry Go-like messages. */
export function parseTemplate(src: string): Node[] {
  // Split into text and actions, applying `{{-` / `-}}` trimming.
  const parts: { text?: string; action?: string; at?: number }[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) parts.push({ text });
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start++;
    }
    if (text) parts.push({ text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let end = close;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      trimNext = true;
      end--;
    }
    const raw = src.slice(start, end);
    const body = raw.trim();
    if (!body.startsWith('/*')) parts.push({ action: body, at: start + raw.length - raw.trimStart().length });
    i = close + 2;
  }

  let p = 0;
  const block = (terminators: string[]): { nodes: Node[]; end: string; rest: string; at: number } => {
    const nodes: Node[] = [];
    while (p < parts.length) {
      const part = parts[p++];
      if (part.text !== undefined) {
        nodes.push({ kind: 'text', text: part.text });
        continue;
      }
      const body = part.action!;
      const at = part.at ?? 0;
      const word = /^[a-z]+/.exec(body)?.[0] ?? '';
      if (terminators.includes(word) && (word === 'end' || word === 'else'))
        return {
          nodes,
          end: word,
          rest: body.slice(word.length).trim(),
          at: at + body.length - body.slice(word.length).trimStart().length,
        };
      if (word === 'if' || word === 'with' || word === 'range')
        nodes.push(control(word, body.slice(word.length), at + word.length));
      else if (word === 'end' || word === 'else') throw new TemplateError(`unexpected {{${word}}}`);
      else nodes.push({ kind: 'action', pipe: pipelineOf(body, at) });
    }
    if (terminators.length) throw new TemplateError('unexpected EOF');
    return { nodes, end: '', rest: '', at: 0 };
  };
  const control = (word: 'if' | 'with' | 'range', rest: string, at: number): Node => {
    const pipe = pipelineOf(rest, at);
    const then = block(['end', 'else']);
    let els: Node[] = [];
    if (then.end === 'else') {
      // `{{else if …}}` / `{{else with …}}` chain into a nested control node.
      const m = /^(if|with)\b/.exec(then.rest);
      if (m) els = [control(m[1] as 'if' | 'with', then.rest.slice(m[1].length), then.at + m[1].length)];
      else els = block(['end']).nodes;
    }
    return { kind: word, pipe, then: then.nodes, else: els };
  };
  return block([]).nodes;
}

function pipelineOf(src: string, base: number): Pipeline {
  const toks = lexAction(src, base);
  const pos = { i: 0 };
  const pipe = parsePipeline(toks, pos);
  if (pos.i < toks.length) throw new TemplateError(`unexpected "${toks[pos.i].v}" in operand`);
  return pipe;
}
