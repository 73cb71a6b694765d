// Executes parsed templates with Go's text/template semantics for the parts
// docker users rely on, plus docker's own functions (json, join, upper, …).
// Values are plain JSON objects; a property that is a function is a method
// (`{{.Label "k"}}`), called with the template arguments.
import { parseTemplate, TemplateError, type Node, type Operand, type Pipeline } from './template-parse.js';
import { goPrint, goSprintf } from './goprint.js';

export { TemplateError };
type Fn = (...args: any[]) => unknown;

/** A value that was not found (missing map key): Go prints "<no value>". */
const NO_VALUE = Symbol('no value');

function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === NO_VALUE) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function eq(a: unknown, b: unknown): boolean {
  return a === b || (a == null && b == null);
}

/** docker's json function: Go encoding with HTML escaping off, no trailing newline. */
export function goJson(v: unknown): string {
  const text = JSON.stringify(v === undefined || v === NO_VALUE ? null : v, (_k, x: unknown) =>
    typeof x === 'bigint' ? `\u0000big${x}` : x,
  );
  // Integers beyond 2^53 (timeNano) are carried as bigint and written as numbers.
  return (text ?? 'null').replace(/"\\u0000big(-?\d+)"/g, '$1');
}

function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase());
}

const builtins: Record<string, Fn> = {
  // docker's template functions (cli/templates).
  json: goJson,
  split: (s: string, sep: string) => String(s).split(sep),
  join: (a: unknown[], sep: string) => (a ?? []).map((x) => goPrint(x)).join(sep),
  title: (s: unknown) => title(goPrint(s)),
  lower: (s: unknown) => goPrint(s).toLowerCase(),
  upper: (s: unknown) => goPrint(s).toUpperCase(),
  pad: (s: unknown, l: number, r: number) => ' '.repeat(l) + goPrint(s) + ' '.repeat(r),
  truncate: (s: unknown, n: number) => [...goPrint(s)].slice(0, n).join(''),
  println: (...a: unknown[]) => a.map((x) => goPrint(x)).join(' ') + '\n',
  // Go's builtins.
  print: (...a: unknown[]) =>
    a
      .map((x, i) => (i > 0 && typeof x !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + goPrint(x))
      .join(''),
  printf: (f: string, ...a: unknown[]) => goSprintf(f, a),
  len: (v: unknown) =>
    typeof v === 'string' || Array.isArray(v)
      ? v.length
      : v && typeof v === 'object'
        ? Object.keys(v).length
        : 0,
  index: (v: unknown, ...keys: unknown[]) => {
    let cur: any = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) throw new TemplateError('index of untyped nil');
      cur = Array.isArray(cur) ? cur[Number(k)] : cur[String(k)];
      if (cur === undefined) cur = '';
    }
    return cur;
  },
  slice: (v: unknown, i = 0, j?: number) => (typeof v === 'string' || Array.isArray(v) ? v.slice(i, j) : v),
  eq: (a: unknown, ...bs: unknown[]) => bs.some((b) => eq(a, b)),
  ne: (a: unknown, b: unknown) => !eq(a, b),
  lt: (a: any, b: any) => a < b,
  le: (a: any, b: any) => a <= b,
  gt: (a: any, b: any) => a > b,
  ge: (a: any, b: any) => a >= b,
  not: (a: unknown) => !truthy(a),
  // Go's and/or return the deciding argument itself, not a boolean.
  and: (...a: unknown[]) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a: unknown[]) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  urlquery: (...a: unknown[]) => encodeURIComponent(a.map((x) => goPrint(x)).join('')).replace(/%20/g, '+'),
};

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

export class Template {
  private readonly nodes: Node[];
  private readonly funcs: Record<string, Fn>;

  /**
   * `missingKey: 'error'` is Go's missingkey=error option (docker inspect's
   * raw-JSON mode): a map without the key fails instead of "<no value>".
   */
  constructor(
    private readonly src: string,
    funcs: Record<string, Fn> = {},
    private readonly opts: { missingKey?: 'error'; name?: string } = {},
  ) {
    try {
      this.nodes = parseTemplate(src);
    } catch (e) {
      // Go's parse errors name the template and line: "template: :1: unclosed action".
      throw new TemplateError(`template: ${opts.name ?? ''}:1: ${(e as Error).message}`);
    }
    this.funcs = { ...builtins, ...funcs };
  }

  /** Go's exec error prefix: `template: name:line:col: executing "name" at <.X>: `. */
  private where(o: Operand): string {
    if (o.kind !== 'field' || o.pos === undefined) return '';
    const before = this.src.slice(0, o.pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = nl < 0 ? o.pos : o.pos - nl - 1;
    const name = this.opts.name ?? '';
    return `template: ${name}:${line}:${col}: executing "${name}" at <${o.text}>: `;
  }

  execute(data: unknown): string {
    const out: string[] = [];
    this.run(this.nodes, { dot: data, vars: new Map([['$', data]]) }, out);
    return out.join('');
  }

  private run(nodes: Node[], scope: Scope, out: string[]): void {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          out.push(n.text);
          break;
        case 'action': {
          const v = this.pipeline(n.pipe, scope);
          if (!n.pipe.decl.length) out.push(goPrint(v === NO_VALUE ? undefined : v, true));
          break;
        }
        case 'if':
        case 'with': {
          const inner: Scope = { dot: scope.dot, vars: new Map(scope.vars) };
          const v = this.pipeline(n.pipe, inner);
          if (truthy(v)) this.run(n.then, n.kind === 'with' ? { ...inner, dot: v } : inner, out);
          else this.run(n.else, scope, out);
          break;
        }
        case 'range': {
          const inner: Scope = { dot: scope.dot, vars: new Map(scope.vars) };
          const decl = n.pipe.decl;
          const v = this.pipeline({ ...n.pipe, decl: [] }, inner);
          const entries: [unknown, unknown][] = Array.isArray(v)
            ? v.map((x, i) => [i, x])
            : typeof v === 'number'
              ? Array.from({ length: v }, (_, i) => [i, i])
              : v && typeof v === 'object'
                ? Object.keys(v)
                    .sort()
                    .map((k) => [k, (v as Record<string, unknown>)[k]])
                : [];
          if (!entries.length) this.run(n.else, scope, out);
          for (const [k, x] of entries) {
            const vars = new Map(inner.vars);
            if (decl.length === 1) vars.set(decl[0], x);
            if (decl.length === 2) {
              vars.set(decl[0], k);
              vars.set(decl[1], x);
            }
            this.run(n.then, { dot: x, vars }, out);
          }
          break;
        }
      }
    }
  }

  private pipeline(p: Pipeline, scope: Scope): unknown {
    let prev: unknown = NO_VALUE;
    let first = true;
    for (const cmd of p.cmds) {
      prev = this.command(cmd, scope, first ? NO_VALUE : prev, !first);
      first = false;
    }
    for (const name of p.decl) {
      if (p.assign && !scope.vars.has(name)) throw new TemplateError(`undefined variable: ${name}`);
      scope.vars.set(name, prev);
    }
    return prev;
  }

  private command(cmd: Operand[], scope: Scope, piped: unknown, hasPiped: boolean): unknown {
    const [head, ...rest] = cmd;
    const args = (): unknown[] => {
      const a = rest.map((o) => this.operand(o, scope, []));
      if (hasPiped) a.push(piped);
      return a;
    };
    if (head.kind === 'ident') {
      const fn = this.funcs[head.name];
      if (!fn) throw new TemplateError(`function "${head.name}" not defined`);
      return fn(...args().map((x) => (x === NO_VALUE ? undefined : x)));
    }
    if (head.kind === 'field' && head.chain.length) {
      // A method call: `.Label "k"`, or a field with piped/extra args.
      return this.operand(head, scope, args());
    }
    if (rest.length || hasPiped)
      throw new TemplateError(`can't give argument to non-function ${describe(head)}`);
    return this.operand(head, scope, []);
  }

  private operand(o: Operand, scope: Scope, callArgs: unknown[]): unknown {
    switch (o.kind) {
      case 'lit':
        return o.value;
      case 'ident': {
        const fn = this.funcs[o.name];
        if (!fn) throw new TemplateError(`function "${o.name}" not defined`);
        return fn();
      }
      case 'pipe':
        return this.walk(
          this.pipeline(o.pipe, { dot: scope.dot, vars: new Map(scope.vars) }),
          o.chain,
          callArgs,
          '',
        );
      case 'field': {
        let base: unknown;
        if (o.base === 'dot') base = scope.dot;
        else if (scope.vars.has(o.base)) base = scope.vars.get(o.base);
        else throw new TemplateError(`undefined variable "${o.base}"`);
        try {
          return this.walk(base, o.chain, callArgs, o.base === 'dot' ? '' : o.base);
        } catch (e) {
          if (e instanceof TemplateError && !e.message.startsWith('template: '))
            throw new TemplateError(this.where(o) + e.message);
          throw e;
        }
      }
    }
  }

  private walk(base: unknown, chain: string[], callArgs: unknown[], prefix: string): unknown {
    let cur = base;
    for (let i = 0; i < chain.length; i++) {
      const name = chain[i];
      const last = i === chain.length - 1;
      if (cur === null || cur === undefined || cur === NO_VALUE) {
        throw new TemplateError(`nil pointer evaluating interface {}.${name}`);
      }
      if (typeof cur !== 'object')
        throw new TemplateError(`can't evaluate field ${name} in type ${typeof cur}`);
      const v = (cur as Record<string, unknown>)[name];
      if (typeof v === 'function') cur = (v as Fn).apply(cur, last ? callArgs : []);
      else if (v === undefined) {
        if (Object.prototype.hasOwnProperty.call(cur, name)) cur = NO_VALUE;
        else if (isMapLike(cur)) {
          if (this.opts.missingKey === 'error') throw new TemplateError(`map has no entry for key "${name}"`);
          cur = NO_VALUE;
        } else throw new TemplateError(`can't evaluate field ${name} in type ${prefix}${typeName(cur)}`);
      } else cur = v;
      if (last && callArgs.length && typeof v !== 'function')
        throw new TemplateError(`${name} has arguments but cannot be invoked as function`);
    }
    return cur;
  }
}

const mapLike = new WeakSet<object>();
/** Marks an object as a Go map: a missing key is "<no value>", not an error. */
export function asMap<T extends object>(o: T): T {
  mapLike.add(o);
  return o;
}
function isMapLike(o: object): boolean {
  return mapLike.has(o) || Object.getPrototypeOf(o) === Object.prototype;
}
/** A row or data class's Go type, for docker's "can't evaluate field X in type T" errors. */
export const GO_TYPE = Symbol('go type');
function typeName(o: object): string {
  return (o as { [GO_TYPE]?: string })[GO_TYPE] ?? o.constructor?.name ?? 'object';
}
function describe(o: Operand): string {
  return o.kind === 'field' ? `.${o.chain.join('.')}` : o.kind;
}

/** Parse and run in one go (cheap enough for one-shot CLI output). */
export function render(src: string, data: unknown, funcs?: Record<string, Fn>): string {
  return new Template(src, funcs).execute(data);
}
