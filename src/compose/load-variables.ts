// The variables a Compose file refers to, for `config --variables`: each
// `$VAR`/`${VAR...}` in the values (nested defaults included) with whether it
// is required and its default or alternate value.
export interface VariableUse {
  name: string;
  required: boolean;
  defaultValue: string;
  alternateValue: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

function closing(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') i++;
    else if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Every variable used in one string; malformed templates are skipped (the loader reports them). */
export function variablesIn(s: string, out: Map<string, VariableUse> = new Map()): Map<string, VariableUse> {
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '$') continue;
    if (s[i + 1] === '$') {
      i++;
      continue;
    }
    if (s[i + 1] === '{') {
      const end = closing(s, i + 2);
      if (end < 0) return out;
      const body = s.slice(i + 2, end);
      const name = NAME.exec(body)?.[0];
      if (name) {
        const rest = body.slice(name.length);
        const op = /^(:\?|\?|:-|-|:\+|\+)/.exec(rest)?.[1] ?? '';
        const word = rest.slice(op.length);
        const use = out.get(name) ?? { name, required: false, defaultValue: '', alternateValue: '' };
        if (op.includes('?')) use.required = true;
        if (op.includes('-')) use.defaultValue = word;
        if (op.includes('+')) use.alternateValue = word;
        out.set(name, use);
        variablesIn(word, out);
      }
      i = end;
      continue;
    }
    const name = NAME.exec(s.slice(i + 1))?.[0];
    if (name) {
      if (!out.has(name)) out.set(name, { name, required: false, defaultValue: '', alternateValue: '' });
      i += name.length;
    }
  }
  return out;
}

/** Every variable used in the values of a parsed file. */
export function variablesInTree(
  node: unknown,
  out: Map<string, VariableUse> = new Map(),
): Map<string, VariableUse> {
  if (typeof node === 'string') variablesIn(node, out);
  else if (Array.isArray(node)) node.forEach((v) => variablesInTree(v, out));
  else if (node && typeof node === 'object') Object.values(node).forEach((v) => variablesInTree(v, out));
  return out;
}
