// How a container command is declared and hooked into commander: commander
// only routes `berth <name>` here; the arguments are parsed by our
// pflag-compatible parser so flags, errors and exit codes match docker's.
import type { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from './context.js';
import { type FlagDef, FlagError, type ParsedFlags, flagHelp, parseFlags } from './containers-flags.js';

export interface CommandSpec {
  /** e.g. "run"; `container <name>` is registered too unless `topLevelOnly`. */
  name: string;
  /** Names under `berth container` (default: [name]). */
  containerNames?: string[];
  /** Top-level names (default: [name]; ["ps"] for `container ls`). */
  topLevel?: string[];
  /** Not registered at the top level (e.g. `container prune`). */
  containerOnly?: boolean;
  usage: string;
  description: string;
  flags: FlagDef[];
  /** false: the first argument ends flag parsing (run, exec). */
  interspersed?: boolean;
  minArgs?: number;
  maxArgs?: number;
  exactArgs?: number;
  run(f: ParsedFlags, ctx: CliContext): Promise<number | void>;
}

const HELP: FlagDef = { long: 'help', kind: 'bool', usage: 'Print usage' };

/** The `berth: …` error a command prints before its usage hint. */
export function commandError(spec: Pick<CommandSpec, 'usage'>, invoked: string, message: string, exitCode: number): CliError {
  return new CliError(`berth: ${message}\n\nRun 'berth ${invoked} --help' for more information`, exitCode);
}

/** cobra's argument-count messages, with docker's "See"/"Run" wording per rule. */
function argCountError(spec: CommandSpec, invoked: string, n: number): string | undefined {
  const plural = (k: number): string => (k === 1 ? 'argument' : 'arguments');
  const usage = `\n\nUsage:  berth ${invoked} ${spec.usage}\n\n`;
  if (spec.exactArgs !== undefined && n !== spec.exactArgs)
    return `berth: 'berth ${invoked}' requires ${spec.exactArgs} ${plural(spec.exactArgs)}${usage}Run 'berth ${invoked} --help' for more information`;
  if (spec.minArgs !== undefined && n < spec.minArgs)
    return `berth: 'berth ${invoked}' requires at least ${spec.minArgs} ${plural(spec.minArgs)}${usage}See 'berth ${invoked} --help' for more information`;
  if (spec.maxArgs === 0 && n > 0) return `berth: 'berth ${invoked}' accepts no arguments${usage}Run 'berth ${invoked} --help' for more information`;
  if (spec.maxArgs !== undefined && n > spec.maxArgs)
    return `berth: 'berth ${invoked}' requires at most ${spec.maxArgs} ${plural(spec.maxArgs)}${usage}Run 'berth ${invoked} --help' for more information`;
  return undefined;
}

async function execute(spec: CommandSpec, invoked: string, argv: string[], ctx: CliContext): Promise<void> {
  const defs = spec.flags.some((d) => d.long === 'help') ? spec.flags : [...spec.flags, HELP];
  let f: ParsedFlags;
  try {
    f = parseFlags(defs, argv, { interspersed: spec.interspersed ?? true });
  } catch (e) {
    if (e instanceof FlagError)
      throw new CliError(`${e.message}\n\nUsage:  berth ${invoked} ${spec.usage}\n\nRun 'berth ${invoked} --help' for more information`, 125);
    throw e;
  }
  if (f.bool('help')) {
    ctx.print(`\nUsage:  berth ${invoked} ${spec.usage}\n\n${spec.description}\n\nOptions:\n${flagHelp(defs)}`);
    return;
  }
  const countErr = argCountError(spec, invoked, f.args.length);
  if (countErr) throw new CliError(countErr, 1);
  const code = await spec.run(f, ctx);
  if (typeof code === 'number' && code !== 0) throw new CliError('', code);
  // Attached sessions leave stdin and signal handlers behind: leave once output is flushed.
  await new Promise<void>((resolve) => ctx.out.write('', () => resolve()));
  process.exit(0);
}

function attach(parent: Command, name: string, spec: CommandSpec, invoked: string, ctx: CliContext): void {
  if (parent.commands.some((c) => c.name() === name)) return; // another group registered it first
  parent
    .command(name)
    .description(spec.description)
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[args...]')
    .action(async (args: string[]) => execute(spec, invoked, args, ctx));
}

/** Registers each command at the top level and under `berth container`. */
export function registerContainerSpecs(program: Command, ctx: CliContext, specs: CommandSpec[]): void {
  const group =
    program.commands.find((c) => c.name() === 'container') ??
    program.command('container').description('Manage containers').enablePositionalOptions();
  for (const spec of specs) {
    for (const n of spec.containerNames ?? [spec.name]) attach(group, n, spec, `container ${n}`, ctx);
    if (!spec.containerOnly) for (const n of spec.topLevel ?? [spec.name]) attach(program, n, spec, n, ctx);
  }
}

/**
 * docker's pattern for commands over many containers (stop a b c): print each
 * success, collect failures, exit 1 if any failed.
 */
export async function forEachTarget(ctx: CliContext, names: string[], fn: (name: string) => Promise<string | void>): Promise<number> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      const line = await fn(name);
      if (line !== undefined) ctx.print(line);
    } catch (e) {
      errors.push(e instanceof ApiError && e.status !== 0 ? `Error response from daemon: ${e.message}` : (e as Error).message);
    }
  }
  if (errors.length) {
    ctx.err.write(errors.join('\n') + '\n');
    return 1;
  }
  return 0;
}

/** "Error response from daemon: …" for API errors, the message otherwise. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.status === 0 ? e.message : `Error response from daemon: ${e.message}`;
  return (e as Error).message;
}
