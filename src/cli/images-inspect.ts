// `image inspect` and the generic `inspect`: raw JSON re-indented as a list,
// or a template per object; errors collected and reported after the output,
// as docker's inspect package does. Object kinds are a table so containers,
// networks and volumes plug in as their APIs arrive.
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from './context.js';
import { flag, type Spec } from './command-spec.js';
import { Template } from './format/template.js';
import { quickGet } from './quick-get.js';

export interface InspectKind {
  type: string;
  /** The object's JSON; the daemon's 404 (ApiError) when it does not know it. */
  get(ctx: CliContext, ref: string, size: boolean): Promise<unknown>;
}

const enc = encodeURIComponent;

/** docker's lookup order for `inspect` without --type. */
export const inspectKinds: InspectKind[] = [
  {
    type: 'container',
    get: (ctx, ref, size) => quickGet(ctx, `/containers/${enc(ref)}/json`, { size: size ? '1' : undefined }),
  },
  { type: 'image', get: (ctx, ref) => quickGet(ctx, `/images/${ref}/json`) },
  { type: 'network', get: (ctx, ref) => quickGet(ctx, `/networks/${enc(ref)}`) },
  { type: 'volume', get: (ctx, ref) => quickGet(ctx, `/volumes/${enc(ref)}`) },
];

const KNOWN_TYPES = [
  'config',
  'container',
  'image',
  'network',
  'node',
  'plugin',
  'secret',
  'service',
  'task',
  'volume',
];

/** Prints objects like docker's inspect.Inspect; `lookup` throws the per-object error text. */
export async function inspectObjects(
  ctx: CliContext,
  refs: string[],
  format: string,
  lookup: (ref: string) => Promise<unknown>,
): Promise<void> {
  let tmpl: Template | undefined;
  if (format) {
    try {
      tmpl = new Template(format === 'json' ? '{{json .}}' : format, {}, { missingKey: 'error' });
    } catch (e) {
      throw new CliError(`template parsing error: ${(e as Error).message}`, 64);
    }
  }
  const found: unknown[] = [];
  const errors: string[] = [];
  let text = '';
  for (const ref of refs) {
    let obj: unknown;
    try {
      obj = await lookup(ref);
    } catch (e) {
      errors.push(
        e instanceof ApiError && e.status !== 0
          ? `Error response from daemon: ${e.message}`
          : (e as Error).message,
      );
      continue;
    }
    if (!tmpl) found.push(obj);
    else
      try {
        text += tmpl.execute(obj) + '\n';
      } catch (e) {
        errors.push(`template parsing error: ${(e as Error).message}`);
      }
  }
  if (!tmpl) text = JSON.stringify(found, null, 4) + '\n';
  else if (text === '') text = '\n'; // docker's template inspector flushes an empty line
  ctx.out.write(text);
  if (errors.length) throw new CliError(errors.join('\n'), 1);
}

async function inspectAny(
  ctx: CliContext,
  refs: string[],
  type: string,
  size: boolean,
  format: string,
): Promise<void> {
  if (type && !KNOWN_TYPES.includes(type))
    throw new CliError(
      `unknown type: "${type}": must be one of ${KNOWN_TYPES.map((t) => `"${t}"`).join(', ')}`,
      1,
    );
  if (type) {
    const kind = inspectKinds.find((k) => k.type === type);
    if (!kind) throw new CliError(`berth does not serve ${type} objects`, 1);
    return inspectObjects(ctx, refs, format, (ref) => kind.get(ctx, ref, size));
  }
  await inspectObjects(ctx, refs, format, async (ref) => {
    for (const k of inspectKinds) {
      try {
        return await k.get(ctx, ref, size);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
    throw new Error(`Error: No such object: ${ref}`);
  });
}

const formatFlag = flag.string(
  'format',
  'f',
  "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.",
);

export const inspectSpecs: Spec[] = [
  {
    paths: [['image', 'inspect']],
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description: 'Display detailed information on one or more images',
    flags: [formatFlag],
    args: { min: 1 },
    run: (f, ctx) =>
      inspectObjects(ctx, f.args, f.string('format'), (ref) => quickGet(ctx, `/images/${ref}/json`)),
  },
  {
    paths: [['inspect']],
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on Docker objects',
    flags: [
      formatFlag,
      flag.bool('size', 's', 'Display total file sizes if the type is container'),
      flag.string('type', undefined, 'Only inspect objects of the given type'),
    ],
    args: { min: 1 },
    run: (f, ctx) => inspectAny(ctx, f.args, f.string('type'), f.bool('size'), f.string('format')),
  },
];
