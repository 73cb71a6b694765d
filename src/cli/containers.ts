// The container command group: `berth run/create/start/…` and the same
// commands under `berth container`. Each module declares its commands; this
// file only collects them.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { registerContainerSpecs } from './containers-command.js';
import { RUN_SPECS } from './containers-run.js';
import { LIFECYCLE_SPECS } from './containers-lifecycle.js';
import { PS_SPEC } from './containers-ps.js';
import { inspectSpecs } from './containers-inspect.js';
import { EXEC_SPECS } from './containers-exec.js';
import { STATS_SPEC } from './containers-stats.js';

export function registerContainerCommands(program: Command, ctx: CliContext): void {
  // A generic `inspect` registered by another group wins; ours tries container, then image.
  const haveInspect = program.commands.some((c) => c.name() === 'inspect');
  registerContainerSpecs(program, ctx, [...RUN_SPECS, ...LIFECYCLE_SPECS, PS_SPEC, ...inspectSpecs(!haveInspect), ...EXEC_SPECS, STATS_SPEC]);
}
