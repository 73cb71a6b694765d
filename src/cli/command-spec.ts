// Declaring CLI commands the way docker's cobra tree does: a command path
// with aliases, a usage line, pflag-style flags and an argument-count rule,
// with docker's exact usage-error texts. commander only routes the words;
// arguments go through the pflag-compatible parser.
import type { Command } from 'commander';
import { CliError, type CliContext } from './context.js';
import { type FlagDef, FlagError, type ParsedFlags, flagHelp, parseFlags } from './containers-flags.js';

export interface Spec {
  /** Every way to call it, e.g. [['image', 'ls'], ['image', 'list'], ['images']]. */
  paths: string[][];
  usage: string;
  description: string;
  flags: FlagDef[];
  /** cobra's argument rules: exact, at least, at most, none (max 0). */
  args?: { exact?: number; min?: number; max?: number };
  run(f: ParsedFlags, ctx: CliContext, invoked: string): Promise<number | void>;
}

const HELP: FlagDef = { long: 'help', kind: 'bool', usage: 'Print usage' };
const plural = (n: number): string => (n === 1 ? 'argument' : 'arguments');

/** cobra's messages — including docker's own "See"/"Run"/"SRun" quirks. */
function argError(spec: Spec, invoked: string, n: number): string | undefined {
  const a = spec.args;
  if (!a) return undefined;
  const usage = `\n\nUsage:  berth ${invoked} ${spec.usage}\n\n`;
  if (a.exact !== undefined && n !== a.exact)
    return `berth: 'berth ${invoked}' requires ${a.exact} ${plural(a.exact)}${usage}Run 'berth ${invoked} --help' for more information`;
  if (a.min !== undefined && n < a.min)
    return `berth: 'berth ${invoked}' requires at least ${a.min} ${plural(a.min)}${usage}See 'berth ${invoked} --help' for more information`;
  if (a.max === 0 && n > 0)
    return `berth: 'berth ${invoked}' accepts no arguments${usage}Run 'berth ${invoked} --help' for more information`;
  if (a.max !== undefined && n > a.max)
    return `berth: 'berth ${invoked}' requires at most ${a.max} ${plural(a.max)}${usage}SRun 'berth ${invoked} --help' for more information`;
  return undefined;
}

/** docker's help layout: usage, description, aliases, options. */
export function helpText(spec: Spec, invoked: string): string {
  let s = `Usage:  berth ${invoked} ${spec.usage}\n\n${spec.description}\n`;
  if (spec.paths.length > 1)
    s += `\nAliases:\n  ${spec.paths.map((p) => 'berth ' + p.join(' ')).join(', ')}\n`;
  if (spec.flags.length) s += `\nOptions:\n${flagHelp(spec.flags)}\n`;
  return s.trimEnd();
}

export async function runSpec(spec: Spec, invoked: string, argv: string[], ctx: CliContext): Promise<void> {
  const defs = [...spec.flags, HELP];
  let f: ParsedFlags;
  try {
    f = parseFlags(defs, argv, { interspersed: true });
  } catch (e) {
    if (e instanceof FlagError)
      throw new CliError(
        `${e.message}\n\nUsage:  berth ${invoked} ${spec.usage}\n\nRun 'berth ${invoked} --help' for more information`,
        125,
      );
    throw e;
  }
  if (f.bool('help')) {
    ctx.print(helpText(spec, invoked));
    return;
  }
  const err = argError(spec, invoked, f.args.length);
  if (err) throw new CliError(err, 1);
  const code = await spec.run(f, ctx, invoked);
  if (typeof code === 'number' && code !== 0) throw new CliError('', code);
}

/** Commands that are another name for one listed elsewhere (`image list`): not shown in group help. */
const aliases = new WeakSet<Command>();

const GROUPS: Record<string, string> = {
  image: 'Manage images',
  system: 'Manage berth',
  container: 'Manage containers',
};

/** `berth image` alone prints the group's commands; an unknown one is docker's error. */
function group(parent: Command, name: string, ctx: CliContext): Command {
  const existing = parent.commands.find((c) => c.name() === name);
  if (existing) return existing;
  const g = parent
    .command(name)
    .description(GROUPS[name] ?? '')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .enablePositionalOptions()
    .argument('[args...]');
  g.action((args: string[]) => {
    if (args.length && args[0] !== '--help') {
      throw new CliError(
        `berth: unknown command: berth ${name} ${args[0]}\n\nUsage:  berth ${name}\n\nRun 'berth ${name} --help' for more information`,
        1,
      );
    }
    const subs = g.commands
      .filter((c) => !aliases.has(c))
      .map((c) => c.name())
      .sort();
    const width = Math.max(...subs.map((n) => n.length)) + 2;
    const lines = subs.map(
      (n) => `  ${n.padEnd(Math.max(width, 12))}${g.commands.find((c) => c.name() === n)!.description()}`,
    );
    ctx.print(
      `Usage:  berth ${name} COMMAND\n\n${g.description()}\n\nCommands:\n${lines.join('\n')}\n\nRun 'berth ${name} COMMAND --help' for more information on a command.`,
    );
  });
  return g;
}

/** Adds each spec under all of its paths (creating `image`, `system` groups as needed). */
export function registerSpecs(program: Command, ctx: CliContext, specs: Spec[]): void {
  for (const spec of specs) {
    spec.paths.forEach((path, i) => {
      let parent = program;
      for (const word of path.slice(0, -1)) parent = group(parent, word, ctx);
      const leaf = path[path.length - 1];
      if (parent.commands.some((c) => c.name() === leaf)) return; // another group owns it
      const cmd = parent
        .command(leaf)
        .description(spec.description)
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .passThroughOptions()
        .argument('[args...]')
        .action(async (args: string[]) => runSpec(spec, path.join(' '), args, ctx));
      // `image list` next to `image ls` is an alias; `images` at the top level is docker's shortcut, listed there.
      if (i > 0 && path.length > 1 && spec.paths.some((p, j) => j < i && p.length === path.length))
        aliases.add(cmd);
    });
  }
}

function checkFilter(v: string): void {
  if (!v.includes('=')) throw new Error('bad format of filter (expected name=value)');
}

/** Flag shorthands shared by many commands. */
export const flag = {
  bool: (long: string, short: string | undefined, usage: string, defaultValue?: boolean): FlagDef => ({
    long,
    short,
    kind: 'bool',
    usage,
    defaultValue,
  }),
  string: (
    long: string,
    short: string | undefined,
    usage: string,
    valueName = 'string',
    defaultValue?: string,
  ): FlagDef => ({
    long,
    short,
    kind: 'string',
    usage,
    valueName,
    defaultValue,
  }),
  list: (long: string, short: string | undefined, usage: string, valueName = 'list'): FlagDef => ({
    long,
    short,
    kind: 'list',
    usage,
    valueName,
  }),
  /** `-f, --filter key=value`, validated while parsing like docker's filter opt. */
  filter: (short: string | undefined = 'f'): FlagDef => ({
    long: 'filter',
    short,
    kind: 'list',
    usage: 'Filter output based on conditions provided',
    valueName: 'filter',
    check: checkFilter,
  }),
};
