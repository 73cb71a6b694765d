// What the commands of named daemon objects (network, volume) share: `--opt
// k=v` lists, the ls/rm aliases, inspect, "rm" of several names with the
// errors collected, the list of what prune deleted, and ls's --quiet/--format
// defaults.
import { ApiError } from '../client/client.js';
import { flag, type Spec } from './command-spec.js';
import { CliError, type CliContext } from './context.js';
import { inspectObjects } from './images-inspect.js';

/** `--label a=b --label c` → { a: 'b', c: '' }; docker refuses an empty key. */
export function keyValues(list: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq === 0) throw new CliError(`invalid argument "${item}" for "--${what}" flag: invalid key`, 125);
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** An error as docker prints it: the daemon's answers prefixed, the client's own as they are. */
export function daemonError(e: unknown): string {
  return e instanceof ApiError && e.status !== 0
    ? `Error response from daemon: ${e.message}`
    : (e as Error).message;
}

/** `<noun> ls` and its alias `<noun> list`; likewise rm/remove. */
export const lsPaths = (noun: string): string[][] => [
  [noun, 'ls'],
  [noun, 'list'],
];
export const rmPaths = (noun: string): string[][] => [
  [noun, 'rm'],
  [noun, 'remove'],
];

/** The ls template: --quiet prints one field, no --format is the default table. */
export function listFormat(o: { quiet: boolean; format: string }, quietField: string, table: string): string {
  if (o.quiet && (!o.format || o.format === 'table')) return `{{.${quietField}}}`;
  if (!o.format || o.format === 'table') return table;
  return o.format;
}

/** `<noun> inspect [-f] NAME...` over GET `<collection>/<name>`. */
export function inspectSpec(
  noun: string,
  description: string,
  collection: string,
  extraFlags: Spec['flags'] = [],
): Spec {
  return {
    paths: [[noun, 'inspect']],
    usage: `[OPTIONS] ${noun.toUpperCase()} [${noun.toUpperCase()}...]`,
    description,
    flags: [flag.string('format', 'f', 'Format output using a custom template'), ...extraFlags],
    args: { min: 1 },
    run: (f, ctx) =>
      inspectObjects(ctx, f.args, f.string('format'), (ref) =>
        ctx.client.get(`${collection}/${encodeURIComponent(ref)}`),
      ),
  };
}

/**
 * Removes each name in turn, printing the ones removed; the errors are
 * collected and printed together at the end with exit status 1 (`skip`
 * ignores an error, `trailer` ends the list as some docker commands do).
 */
export async function removeEach(
  ctx: CliContext,
  names: string[],
  remove: (name: string) => Promise<unknown>,
  o: { skip?: (e: unknown) => boolean; trailer?: string } = {},
): Promise<void> {
  const errors: string[] = [];
  for (const n of names) {
    try {
      await remove(n);
      ctx.print(n);
    } catch (e) {
      if (o.skip?.(e)) continue;
      errors.push(daemonError(e));
    }
  }
  if (errors.length) throw new CliError(errors.join('\n') + (o.trailer ?? ''), 1);
}

/** "Deleted Networks:" and the names, as prune prints them (nothing when none). */
export function deletedList(title: string, names: string[] | null | undefined): string {
  return names?.length ? `${title}:\n` + names.map((n) => n + '\n').join('') + '\n' : '';
}

/** The label fields of an ls row's template context (`{{.Labels}}`, `{{.Label "k"}}`). */
export abstract class LabeledRow {
  constructor(private readonly rowLabels: Record<string, string> | null) {}
  get Labels(): string {
    return Object.entries(this.rowLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  Label(name: string): string {
    return this.rowLabels?.[name] ?? '';
  }
}
