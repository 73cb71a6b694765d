// stop, restart, kill, pause, unpause, rm, rename, wait, update and
// container prune: one request per container, outputs and exit codes as
// docker prints them.
import { CliError, type CliContext } from './context.js';
import type { FlagDef, ParsedFlags } from './containers-flags.js';
import { type CommandSpec, describeError } from './containers-command.js';
import { memSwapBytes, nanoCpus, parseInt64, parseRestartPolicy, ramInBytes } from './containers-units.js';
import { humanSize } from './format/units.js';
import { readLineFrom } from './containers-prompt.js';

const enc = encodeURIComponent;

/**
 * Runs `fn` for every container at once (docker fans out), prints the
 * successes in argument order, then the failures; exit 1 if any failed.
 */
async function fanOut(ctx: CliContext, names: string[], fn: (name: string) => Promise<string | void>): Promise<number> {
  const results = await Promise.allSettled(names.map((n) => fn(n)));
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') ctx.print(r.value ?? names[i]);
    else errors.push(describeError(r.reason));
  });
  if (errors.length) {
    ctx.err.write(errors.join('\n') + '\n');
    return 1;
  }
  return 0;
}

const stopFlags = (_verb: string): FlagDef[] => [
  { long: 'signal', short: 's', kind: 'string', usage: `Signal to send to the container` },
  { long: 'timeout', short: 't', kind: 'string', usage: `Seconds to wait before killing the container`, valueName: 'int', check: (v) => void parseInt64(v) },
  { long: 'time', kind: 'string', usage: `Seconds to wait before killing the container (deprecated: use --timeout)`, hidden: true, check: (v) => void parseInt64(v) },
];

function stopQuery(f: ParsedFlags): Record<string, string | undefined> {
  const t = f.has('timeout') ? f.string('timeout') : f.has('time') ? f.string('time') : undefined;
  return { signal: f.string('signal') || undefined, t };
}

async function stop(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const q = stopQuery(f);
  return fanOut(ctx, f.args, async (n) => void (await ctx.client.post(`/containers/${enc(n)}/stop`, undefined, q)));
}

async function restart(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const q = stopQuery(f);
  return fanOut(ctx, f.args, async (n) => void (await ctx.client.post(`/containers/${enc(n)}/restart`, undefined, q)));
}

async function kill(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const signal = f.string('signal') || undefined;
  return fanOut(ctx, f.args, async (n) => void (await ctx.client.post(`/containers/${enc(n)}/kill`, undefined, { signal })));
}

const simple = (action: 'pause' | 'unpause') => async (f: ParsedFlags, ctx: CliContext) =>
  fanOut(ctx, f.args, async (n) => void (await ctx.client.post(`/containers/${enc(n)}/${action}`)));

async function rm(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const force = f.bool('force');
  const query = { force: force || undefined, v: f.bool('volumes') || undefined, link: f.bool('link') || undefined };
  const errors: string[] = [];
  for (const name of f.args) {
    const n = name.replace(/^\//, '');
    try {
      await ctx.client.delete(`/containers/${enc(n)}`, query);
      ctx.print(n);
    } catch (e) {
      // rm -f of a missing container reports it but does not fail.
      if (force && (e as { status?: number }).status === 404) ctx.err.write(describeError(e) + '\n');
      else errors.push(describeError(e));
    }
  }
  if (errors.length) {
    ctx.err.write(errors.join('\n') + '\n');
    return 1;
  }
  return 0;
}

async function rename(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const [oldName, newName] = f.args as [string, string];
  if (!newName.trim()) throw new CliError('Error: Neither old nor new names may be empty', 1);
  try {
    await ctx.client.post(`/containers/${enc(oldName)}/rename`, undefined, { name: newName.trim() });
  } catch (e) {
    throw new CliError(`${describeError(e)}\nError: failed to rename container named ${oldName}`, 1);
  }
  return 0;
}

async function wait(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const results = await Promise.allSettled(
    f.args.map((n) => ctx.client.post<{ StatusCode: number }>(`/containers/${enc(n)}/wait`)),
  );
  const errors: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') ctx.print(String(r.value.StatusCode));
    else errors.push(describeError(r.reason));
  }
  if (errors.length) {
    ctx.err.write(errors.join('\n') + '\n');
    return 1;
  }
  return 0;
}

const UPDATE_FLAGS: FlagDef[] = [
  { long: 'cpu-shares', short: 'c', kind: 'string', usage: 'CPU shares (relative weight)', valueName: 'int', check: (v) => void parseInt64(v) },
  { long: 'cpus', kind: 'string', usage: 'Number of CPUs', valueName: 'decimal', check: (v) => void nanoCpus(v) },
  { long: 'cpuset-cpus', kind: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  { long: 'cpuset-mems', kind: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  { long: 'memory', short: 'm', kind: 'string', usage: 'Memory limit', valueName: 'bytes', check: (v) => void ramInBytes(v) },
  { long: 'memory-reservation', kind: 'string', usage: 'Memory soft limit', valueName: 'bytes', check: (v) => void ramInBytes(v) },
  { long: 'memory-swap', kind: 'string', usage: "Swap limit equal to memory plus swap: -1 to enable unlimited swap", valueName: 'bytes', check: (v) => void memSwapBytes(v) },
  { long: 'pids-limit', kind: 'string', usage: 'Tune container pids limit (set -1 for unlimited)', valueName: 'int', check: (v) => void parseInt64(v) },
  { long: 'restart', kind: 'string', usage: 'Restart policy to apply when a container exits' },
];

/** The update body the docker CLI sends: resources plus an optional restart policy. */
export function buildUpdateBody(f: ParsedFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {
    CpuShares: f.string('cpu-shares') ? parseInt64(f.string('cpu-shares')) : 0,
    Memory: f.string('memory') ? ramInBytes(f.string('memory')) : 0,
    NanoCpus: f.string('cpus') ? nanoCpus(f.string('cpus')) : 0,
    CpusetCpus: f.string('cpuset-cpus'),
    CpusetMems: f.string('cpuset-mems'),
    MemoryReservation: f.string('memory-reservation') ? ramInBytes(f.string('memory-reservation')) : 0,
    MemorySwap: f.string('memory-swap') ? memSwapBytes(f.string('memory-swap')) : 0,
  };
  if (f.has('pids-limit')) body.PidsLimit = parseInt64(f.string('pids-limit'));
  if (f.has('restart')) body.RestartPolicy = parseRestartPolicy(f.string('restart'));
  return body;
}

async function update(f: ParsedFlags, ctx: CliContext): Promise<number> {
  if (!UPDATE_FLAGS.some((d) => f.has(d.long))) throw new CliError('berth: you must provide one or more flags when using this command', 1);
  let body: Record<string, unknown>;
  try {
    body = buildUpdateBody(f);
  } catch (e) {
    throw new CliError(`berth: ${(e as Error).message}`, 125);
  }
  const warnings: string[] = [];
  const code = await fanOut(ctx, f.args, async (n) => {
    const r = await ctx.client.post<{ Warnings?: string[] }>(`/containers/${enc(n)}/update`, body);
    warnings.push(...(r?.Warnings ?? []));
  });
  for (const w of warnings) ctx.err.write(`WARNING: ${w}\n`);
  return code;
}

/** docker's filter flag → the `filters` JSON ({"label":{"a":true}}). */
export function filtersQuery(filters: string[]): string | undefined {
  if (!filters.length) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new CliError(`bad format of filter (expected name=value)`, 125);
    const k = f.slice(0, eq).trim().toLowerCase();
    (out[k] ??= {})[f.slice(eq + 1).trim()] = true;
  }
  return JSON.stringify(out);
}

async function prune(f: ParsedFlags, ctx: CliContext): Promise<number> {
  if (!f.bool('force')) {
    ctx.out.write('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
    const answer = (await readLineFrom(process.stdin)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      ctx.err.write('Total reclaimed space: 0B\n');
      return 0;
    }
  }
  const r = await ctx.client.post<{ ContainersDeleted?: string[] | null; SpaceReclaimed?: number }>(
    '/containers/prune',
    undefined,
    { filters: filtersQuery(f.list('filter')) },
  );
  const deleted = r?.ContainersDeleted ?? [];
  if (deleted.length) ctx.print(`Deleted Containers:\n${deleted.join('\n')}\n`);
  ctx.print(`Total reclaimed space: ${humanSize(r?.SpaceReclaimed ?? 0)}`);
  return 0;
}

export const LIFECYCLE_SPECS: CommandSpec[] = [
  { name: 'stop', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Stop one or more running containers', flags: stopFlags('stop'), minArgs: 1, run: stop },
  { name: 'restart', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Restart one or more containers', flags: stopFlags('restart'), minArgs: 1, run: restart },
  {
    name: 'kill',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Kill one or more running containers',
    flags: [{ long: 'signal', short: 's', kind: 'string', usage: 'Signal to send to the container' }],
    minArgs: 1,
    run: kill,
  },
  { name: 'pause', usage: 'CONTAINER [CONTAINER...]', description: 'Pause all processes within one or more containers', flags: [], minArgs: 1, run: simple('pause') },
  { name: 'unpause', usage: 'CONTAINER [CONTAINER...]', description: 'Unpause all processes within one or more containers', flags: [], minArgs: 1, run: simple('unpause') },
  {
    name: 'rm',
    containerNames: ['rm', 'remove'],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Remove one or more containers',
    flags: [
      { long: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
      { long: 'link', short: 'l', kind: 'bool', usage: 'Remove the specified link' },
      { long: 'volumes', short: 'v', kind: 'bool', usage: 'Remove anonymous volumes associated with the container' },
    ],
    minArgs: 1,
    run: rm,
  },
  { name: 'rename', usage: 'CONTAINER NEW_NAME', description: 'Rename a container', flags: [], exactArgs: 2, run: rename },
  { name: 'wait', usage: 'CONTAINER [CONTAINER...]', description: 'Block until one or more containers stop, then print their exit codes', flags: [], minArgs: 1, run: wait },
  { name: 'update', usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Update configuration of one or more containers', flags: UPDATE_FLAGS, minArgs: 1, run: update },
  {
    name: 'prune',
    containerOnly: true,
    usage: '[OPTIONS]',
    description: 'Remove all stopped containers',
    flags: [
      { long: 'filter', kind: 'list', usage: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
      { long: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
    ],
    maxArgs: 0,
    run: prune,
  },
];
