// Image commands: images/image ls, tag, rmi/image rm, history, image prune;
// inspect and the archive commands (import/load/save) live in their own files.
import type { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { parseReference, repoName } from '../image/reference.js';
import { CliError, type CliContext } from './context.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';
import { formatList } from './format/table.js';
import { humanSize } from './format/units.js';
import {
  HISTORY_HEADERS,
  HistoryRow,
  IMAGE_HEADERS,
  imageRows,
  type HistoryItem,
  type ImageSummary,
} from './images-format.js';
import { filtersJson } from './system.js';
import { inspectSpecs } from './images-inspect.js';
import { transferSpecs } from './images-transfer.js';
import { confirm } from './images-prompt.js';
import { quickGet } from './quick-get.js';

const TABLE = 'table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}';
const TABLE_DIGESTS =
  'table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}';

/** NewImageFormat: what --format means given -q and --digests. */
function imageFormat(format: string, quiet: boolean, digests: boolean): string {
  if (format === '' || format === 'table') {
    if (quiet) return '{{.ID}}';
    return digests ? TABLE_DIGESTS : TABLE;
  }
  if (format === 'raw')
    return quiet
      ? 'image_id: {{.ID}}'
      : digests
        ? 'repository: {{ .Repository }}\\ntag: {{.Tag}}\\ndigest: {{.Digest}}\\nimage_id: {{.ID}}\\ncreated_at: {{.CreatedAt}}\\nvirtual_size: {{.Size}}\\n'
        : 'repository: {{ .Repository }}\\ntag: {{.Tag}}\\nimage_id: {{.ID}}\\ncreated_at: {{.CreatedAt}}\\nvirtual_size: {{.Size}}\\n';
  if (format.startsWith('table') && digests && !format.includes('{{.Digest}}'))
    return format + '\\t{{.Digest}}';
  return format;
}

async function listImages(
  ctx: CliContext,
  args: string[],
  o: { all: boolean; quiet: boolean; digests: boolean; noTrunc: boolean; format: string; filters: string[] },
): Promise<void> {
  const filters = [...o.filters];
  if (args[0]) filters.push(`reference=${args[0]}`);
  const images = await quickGet<ImageSummary[]>(ctx, '/images/json', {
    all: o.all || undefined,
    filters: filtersJson(filters),
  });
  const rows = imageRows(images, { trunc: !o.noTrunc, digests: o.digests });
  ctx.out.write(
    formatList(rows, { format: imageFormat(o.format, o.quiet, o.digests), headers: IMAGE_HEADERS }),
  );
}

async function tag(ctx: CliContext, source: string, target: string): Promise<void> {
  let ref;
  try {
    ref = parseReference(target);
  } catch (e) {
    throw new CliError(
      `Error parsing reference: "${target}" is not a valid repository/tag: ${(e as Error).message}`,
      1,
    );
  }
  if (ref.digest) throw new CliError('refusing to create a tag with a digest reference', 1);
  await ctx.client
    .call('POST', `/images/${source}/tag`, { query: { repo: repoName(ref), tag: ref.tag ?? 'latest' } })
    .then((r) => r.resume());
}

async function removeImages(
  ctx: CliContext,
  names: string[],
  force: boolean,
  noPrune: boolean,
): Promise<number> {
  const errors: string[] = [];
  let fatal = false;
  for (const name of names) {
    try {
      const items = await ctx.client.delete<{ Untagged?: string; Deleted?: string }[]>(`/images/${name}`, {
        force: force || undefined,
        noprune: noPrune || undefined,
      });
      for (const d of items ?? []) ctx.print(d.Deleted ? `Deleted: ${d.Deleted}` : `Untagged: ${d.Untagged}`);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) fatal = true;
      errors.push(
        e instanceof ApiError && e.status !== 0
          ? `Error response from daemon: ${e.message}`
          : (e as Error).message,
      );
    }
  }
  if (!errors.length) return 0;
  // With -f, images that do not exist are reported but not a failure.
  if (!force || fatal) throw new CliError(errors.join('\n'), 1);
  ctx.err.write(errors.join('\n') + '\n');
  return 0;
}

async function history(
  ctx: CliContext,
  name: string,
  o: { human: boolean; noTrunc: boolean; quiet: boolean; format: string },
): Promise<void> {
  const items = await quickGet<HistoryItem[]>(ctx, `/images/${name}/history`);
  let format = o.format;
  if (format === '' || format === 'table') {
    if (o.quiet) format = '{{.ID}}';
    else
      format = o.human
        ? 'table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}'
        : 'table {{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}';
  }
  const rows = items.map((h) => new HistoryRow(h, !o.noTrunc, o.human));
  ctx.out.write(formatList(rows, { format, headers: HISTORY_HEADERS }));
}

async function prune(ctx: CliContext, o: { all: boolean; force: boolean; filters: string[] }): Promise<void> {
  const warning = o.all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!o.force && !(await confirm(ctx, warning))) return;
  const filters = [...o.filters];
  filters.push(`dangling=${o.all ? 'false' : 'true'}`);
  const report = await ctx.client.post<{
    ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null;
    SpaceReclaimed?: number;
  }>('/images/prune', undefined, { filters: filtersJson(filters) });
  const deleted = report.ImagesDeleted ?? [];
  let out = '';
  if (deleted.length) {
    out += 'Deleted Images:\n';
    for (const d of deleted) out += d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`;
    out += '\n';
  }
  out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed ?? 0, 4)}\n`;
  ctx.out.write(out);
}

const listSpec: Spec = {
  paths: [['image', 'ls'], ['image', 'list'], ['images']],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  flags: [
    flag.bool('all', 'a', 'Show all images (default hides intermediate images)'),
    flag.bool('digests', undefined, 'Show digests'),
    flag.filter(),
    flag.string('format', undefined, 'Format output using a custom template'),
    flag.bool('no-trunc', undefined, "Don't truncate output"),
    flag.bool('quiet', 'q', 'Only show image IDs'),
  ],
  args: { max: 1 },
  run: (f, ctx) =>
    listImages(ctx, f.args, {
      all: f.bool('all'),
      quiet: f.bool('quiet'),
      digests: f.bool('digests'),
      noTrunc: f.bool('no-trunc'),
      format: f.string('format'),
      filters: f.list('filter'),
    }),
};

const specs: Spec[] = [
  listSpec,
  {
    paths: [['image', 'tag'], ['tag']],
    usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    flags: [],
    args: { exact: 2 },
    run: (f, ctx) => tag(ctx, f.args[0], f.args[1]),
  },
  {
    paths: [['image', 'rm'], ['image', 'remove'], ['rmi']],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Remove one or more images',
    flags: [
      flag.bool('force', 'f', 'Force removal of the image'),
      flag.bool('no-prune', undefined, 'Do not delete untagged parents'),
    ],
    args: { min: 1 },
    run: (f, ctx) => removeImages(ctx, f.args, f.bool('force'), f.bool('no-prune')),
  },
  {
    paths: [['image', 'history'], ['history']],
    usage: '[OPTIONS] IMAGE',
    description: 'Show the history of an image',
    flags: [
      flag.string('format', undefined, 'Format output using a custom template'),
      {
        long: 'human',
        short: 'H',
        kind: 'bool',
        usage: 'Print sizes and dates in human readable format',
        defaultValue: true,
      },
      flag.bool('no-trunc', undefined, "Don't truncate output"),
      flag.bool('quiet', 'q', 'Only show image IDs'),
    ],
    args: { exact: 1 },
    run: (f, ctx) =>
      history(ctx, f.args[0], {
        human: f.bool('human'),
        noTrunc: f.bool('no-trunc'),
        quiet: f.bool('quiet'),
        format: f.string('format'),
      }),
  },
  {
    paths: [['image', 'prune']],
    usage: '[OPTIONS]',
    description: 'Remove unused images',
    flags: [
      flag.bool('all', 'a', 'Remove all unused images, not just dangling ones'),
      { ...flag.filter(undefined), usage: 'Provide filter values (e.g. "until=<timestamp>")' },
      flag.bool('force', 'f', 'Do not prompt for confirmation'),
    ],
    args: { max: 0 },
    run: (f, ctx) => prune(ctx, { all: f.bool('all'), force: f.bool('force'), filters: f.list('filter') }),
  },
  ...inspectSpecs,
  ...transferSpecs,
];

export function registerImageCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, specs);
}
