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

export async function runSpec(spec: Spec, invoked: string, argv: string[], ctx: CliContext): Promise<void> {
  const defs = [...spec.flags, HELP];
  let f: ParsedFlags;
  try {
    f = parseFlags(defs, argv, { interspersed: true });
  } catch (e) {
    if (e instanceof FlagError)
      throw new CliError(`${e.message}\n\nUsage:  berth ${invoked} ${spec.usage}\n\nRun 'berth ${invoked} --help' for more information`, 125);
    throw e;
  }
  if (f.bool('help')) {
    ctx.print(`\nUsage:  berth ${invoked} ${spec.usage}\n\n${spec.description}\n\nOptions:\n${flagHelp(defs)}`);
    return;
  }
  const err = argError(spec, invoked, f.args.length);
  if (err) throw new CliError(err, 1);
  const code = await spec.run(f, ctx, invoked);
  if (typeof code === 'number' && code !== 0) throw new CliError('', code);
}

function group(parent: Command, name: string): Command {
  return parent.commands.find((c) => c.name() === name) ?? parent.command(name).enablePositionalOptions();
}

/** Adds each spec under all of its paths (creating `image`, `system` groups as needed). */
export function registerSpecs(program: Command, ctx: CliContext, specs: Spec[]): void {
  for (const spec of specs) {
    for (const path of spec.paths) {
      let parent = program;
      for (const word of path.slice(0, -1)) parent = group(parent, word);
      const leaf = path[path.length - 1];
      if (parent.commands.some((c) => c.name() === leaf)) continue; // another group owns it
      parent
        .command(leaf)
        .description(spec.description)
        .helpOption(false)
        .allowUnknownOption()
        .allowExcessArguments()
        .passThroughOptions()
        .argument('[args...]')
        .action(async (args: string[]) => runSpec(spec, path.join(' '), args, ctx));
    }
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
  string: (long: string, short: string | undefined, usage: string, valueName = 'string', defaultValue?: string): FlagDef => ({
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
    usage: "Filter output based on conditions provided",
    valueName: 'filter',
    check: checkFilter,
  }),
};
