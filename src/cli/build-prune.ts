// `berth builder prune`: POST /build/prune, with docker's prompt and report.
import type { Readable } from 'node:stream';
import type { CliContext } from './context.js';
import { readLineFrom } from './containers-prompt.js';
import { flag, type Spec } from './command-spec.js';
import { ramInBytes } from './containers-units.js';
import { humanSize } from './format/units.js';
import { filtersJson } from './system.js';

const NORMAL_WARNING = 'WARNING! This will remove all dangling build cache.';
const ALL_WARNING = 'WARNING! This will remove all build cache.';

async function prune(
  ctx: CliContext,
  o: { all: boolean; force: boolean; filters: string[]; keepStorage: string },
): Promise<void> {
  // docker's prompt is one line: the warning, then the question.
  if (!o.force && !(await confirmOneLine(ctx, o.all ? ALL_WARNING : NORMAL_WARNING))) return;
  const keep = o.keepStorage ? ramInBytes(o.keepStorage) : 0;
  const report = await ctx.client.post<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>(
    '/build/prune',
    undefined,
    {
      all: o.all ? '1' : undefined,
      'keep-storage': keep ? String(keep) : undefined,
      filters: filtersJson(o.filters) ?? '{}',
    },
  );
  const deleted = report.CachesDeleted ?? [];
  if (deleted.length) ctx.print(`Deleted build cache objects:\n${deleted.join('\n')}\n`);
  ctx.print(`Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0, 4)}`);
}

/** PromptForConfirmation as `builder prune` shows it: "<warning> Are you sure you want to continue? [y/N] ". */
async function confirmOneLine(ctx: CliContext, warning: string, input: Readable = process.stdin): Promise<boolean> {
  ctx.out.write(`${warning} Are you sure you want to continue? [y/N] `);
  return (await readLineFrom(input)).trim().toLowerCase() === 'y';
}

export const builderPruneSpecs: Spec[] = [
  {
    paths: [['builder', 'prune']],
    usage: '',
    description: 'Remove build cache',
    flags: [
      flag.bool('all', 'a', 'Remove all unused build cache, not just dangling ones'),
      flag.filter(undefined),
      flag.bool('force', 'f', 'Do not prompt for confirmation'),
      {
        ...flag.string('keep-storage', undefined, 'Amount of disk space to keep for cache', 'bytes'),
        check: (v: string) => void ramInBytes(v),
      },
    ],
    args: { max: 0 },
    run: (f, ctx) =>
      prune(ctx, {
        all: f.bool('all'),
        force: f.bool('force'),
        filters: f.list('filter'),
        keepStorage: f.string('keep-storage'),
      }),
  },
];
