// A small pflag-compatible flag parser for the container commands. Docker's
// CLI uses spf13/pflag; its parsing rules (combined short flags, `-e=x`,
// `--rm=false`, stopping at the first argument for `run`/`exec`) and its
// error texts are what users and scripts see, so we reproduce them here
// instead of bending commander into shape.

export type FlagKind = 'bool' | 'string' | 'list';

export interface FlagDef {
  long: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  /** The value shown in help, e.g. "bytes", "list", "duration". */
  valueName?: string;
  /** Throws to reject a value at parse time, as pflag's typed values do. */
  check?: (value: string) => void;
  /** Bool defaults (e.g. --sig-proxy defaults to true). */
  defaultValue?: boolean | string;
  hidden?: boolean;
}

/** A usage error: printed with the command's usage line, exit code 125. */
export class FlagError extends Error {}

export class ParsedFlags {
  readonly values = new Map<string, string | boolean | string[]>();
  readonly changed = new Set<string>();
  args: string[] = [];

  constructor(private readonly defs: FlagDef[]) {}

  bool(name: string): boolean {
    const v = this.values.get(name);
    if (v === undefined) return this.def(name).defaultValue === true;
    return v === true;
  }

  string(name: string): string {
    const v = this.values.get(name);
    if (v === undefined) {
      const d = this.def(name).defaultValue;
      return typeof d === 'string' ? d : '';
    }
    return typeof v === 'string' ? v : '';
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }

  has(name: string): boolean {
    return this.changed.has(name);
  }

  private def(name: string): FlagDef {
    const d = this.defs.find((f) => f.long === name);
    if (!d) throw new Error(`flag --${name} is not defined`);
    return d;
  }
}

function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function flagTitle(d: FlagDef): string {
  return d.short ? `-${d.short}, --${d.long}` : `--${d.long}`;
}

function setValue(out: ParsedFlags, d: FlagDef, value: string): void {
  if (d.kind === 'bool') {
    const b = parseBool(value);
    if (b === undefined)
      throw new FlagError(`invalid argument "${value}" for "${flagTitle(d)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
    out.values.set(d.long, b);
  } else {
    if (d.check) {
      try {
        d.check(value);
      } catch (e) {
        throw new FlagError(`invalid argument "${value}" for "${flagTitle(d)}" flag: ${(e as Error).message}`);
      }
    }
    if (d.kind === 'list') out.values.set(d.long, [...out.list(d.long), value]);
    else out.values.set(d.long, value);
  }
  out.changed.add(d.long);
}

/**
 * Parses argv like pflag. With `interspersed: false` (run, create, exec) the
 * first non-flag argument ends flag parsing, so the container's own command
 * keeps its flags.
 */
export function parseFlags(defs: FlagDef[], argv: string[], opts: { interspersed: boolean }): ParsedFlags {
  const out = new ParsedFlags(defs);
  const byLong = new Map(defs.map((d) => [d.long, d]));
  const byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short!, d]));
  const args: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i++]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      if (!opts.interspersed) {
        args.push(...argv.slice(i));
        break;
      }
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const d = byLong.get(name);
      if (!d) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) setValue(out, d, a.slice(eq + 1));
      else if (d.kind === 'bool') setValue(out, d, 'true');
      else {
        if (i >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
        setValue(out, d, argv[i++]!);
      }
      continue;
    }
    // Short flags: -it, -p8080:80, -e=X, -m 512m
    let rest = a.slice(1);
    while (rest.length) {
      const c = rest[0]!;
      const d = byShort.get(c);
      if (!d) throw new FlagError(`unknown shorthand flag: '${c}' in ${a}`);
      rest = rest.slice(1);
      if (d.kind === 'bool') {
        if (rest.startsWith('=')) {
          setValue(out, d, rest.slice(1));
          rest = '';
        } else setValue(out, d, 'true');
        continue;
      }
      if (rest.length) setValue(out, d, rest.startsWith('=') ? rest.slice(1) : rest);
      else {
        if (i >= argv.length) throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        setValue(out, d, argv[i++]!);
      }
      rest = '';
    }
  }
  out.args = args;
  return out;
}

/** Help text in the layout of docker's `--help`. */
export function flagHelp(defs: FlagDef[]): string {
  const rows = defs
    .filter((d) => !d.hidden)
    .sort((a, b) => a.long.localeCompare(b.long))
    .map((d) => {
      const head = (d.short ? `  -${d.short}, --${d.long}` : `      --${d.long}`) + (d.kind === 'bool' ? '' : ` ${d.valueName ?? (d.kind === 'list' ? 'list' : 'string')}`);
      return [head, d.usage] as const;
    });
  const width = Math.max(...rows.map(([h]) => h.length)) + 3;
  return rows.map(([h, u]) => h.padEnd(width) + u).join('\n');
}
