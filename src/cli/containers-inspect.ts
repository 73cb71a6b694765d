// `inspect` (container, then image, as docker's generic inspect tries),
// `container inspect`, `port` and `top`.
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from './context.js';
import type { ParsedFlags } from './containers-flags.js';
import { type CommandSpec, describeError } from './containers-command.js';
import { render } from './format/template.js';
import { tabwrite } from './format/table.js';

const enc = encodeURIComponent;

/** json.MarshalIndent(v, "", "    ") with Go's HTML escaping. */
export function indentJson(v: unknown): string {
  return JSON.stringify(v, null, 4).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

type Kind = 'container' | 'image';

async function fetchObject(ctx: CliContext, name: string, kinds: Kind[], size: boolean): Promise<unknown> {
  let last: unknown;
  for (const kind of kinds) {
    try {
      if (kind === 'container') return await ctx.client.get(`/containers/${enc(name)}/json`, { size: size || undefined });
      return await ctx.client.get(`/images/${enc(name)}/json`);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
      last = e;
    }
  }
  throw last;
}

/** Prints the objects as docker does: a JSON array, or one template line each; errors after. */
async function inspectObjects(f: ParsedFlags, ctx: CliContext, kinds: Kind[], generic: boolean): Promise<number> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of f.args) {
    try {
      found.push(await fetchObject(ctx, name, kinds, f.bool('size')));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) errors.push(generic ? `Error: No such object: ${name}` : describeError(e));
      else errors.push(describeError(e));
    }
  }
  const format = f.string('format');
  if (format && format !== 'json') {
    let out = '';
    try {
      for (const obj of found) out += render(format.replace(/\\t/g, '\t').replace(/\\n/g, '\n'), obj) + '\n';
    } catch (e) {
      throw new CliError(`template: ${(e as Error).message}`, 1);
    }
    ctx.out.write(out || (errors.length ? '\n' : ''));
  } else ctx.print(found.length ? indentJson(found) : '[]');
  if (errors.length) {
    ctx.err.write(errors.join('\n') + '\n');
    return 1;
  }
  return 0;
}

const INSPECT_FLAGS = [
  { long: 'format', short: 'f', kind: 'string' as const, usage: 'Format output using a custom template' },
  { long: 'size', short: 's', kind: 'bool' as const, usage: 'Display total file sizes' },
];

/** Natural order (sortorder.NaturalLess): digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) {
      if (Number(x) !== Number(y)) return Number(x) < Number(y);
      return x.length < y.length;
    }
    return x < y;
  }
  return ca.length < cb.length;
}

const hostPort = (ip: string, port: string): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The lines `docker port` prints for a container's NetworkSettings.Ports. */
export function portLines(ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>, container: string, filter?: string): string[] {
  const out: string[] = [];
  if (filter) {
    const [port, proto = 'tcp'] = filter.split('/', 2) as [string, string?];
    if (!/^\d+$/.test(port) || Number(port) > 65535)
      throw new CliError(`Error: invalid port (${port}): strconv.ParseUint: parsing "${port}": invalid syntax`, 1);
    const frontends = ports[`${port}/${proto}`];
    if (!frontends?.length) throw new CliError(`Error: No public port '${filter}' published for ${container}`, 1);
    for (const fe of frontends) out.push(hostPort(fe.HostIp, fe.HostPort));
  } else {
    for (const [from, frontends] of Object.entries(ports ?? {}))
      for (const fe of frontends ?? []) out.push(`${from} -> ${hostPort(fe.HostIp, fe.HostPort)}`);
  }
  return out.sort((x, y) => (naturalLess(x, y) ? -1 : naturalLess(y, x) ? 1 : 0));
}

async function port(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const [name, filter] = f.args as [string, string?];
  const c = await ctx.client.get(`/containers/${enc(name)}/json`);
  const lines = portLines(c.NetworkSettings?.Ports ?? {}, name, filter);
  if (lines.length) ctx.print(lines.join('\n'));
  return 0;
}

async function top(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const [name, ...psArgs] = f.args as [string, ...string[]];
  const r = await ctx.client.get<{ Titles: string[]; Processes: string[][] }>(`/containers/${enc(name)}/top`, {
    ps_args: psArgs.length ? psArgs.join(' ') : undefined,
  });
  const text = [r.Titles, ...(r.Processes ?? [])].map((row) => row.join('\t') + '\n').join('');
  ctx.out.write(tabwrite(text, { minwidth: 20, padding: 3 }));
  return 0;
}

export function inspectSpecs(includeGeneric: boolean): CommandSpec[] {
  const specs: CommandSpec[] = [
    {
      name: 'inspect',
      containerOnly: true,
      usage: '[OPTIONS] CONTAINER [CONTAINER...]',
      description: 'Display detailed information on one or more containers',
      flags: INSPECT_FLAGS,
      minArgs: 1,
      run: (f, ctx) => inspectObjects(f, ctx, ['container'], false),
    },
    { name: 'port', usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]', description: 'List port mappings or a specific mapping for the container', flags: [], minArgs: 1, maxArgs: 2, run: port },
    { name: 'top', usage: 'CONTAINER [ps OPTIONS]', description: 'Display the running processes of a container', flags: [], minArgs: 1, interspersed: false, run: top },
  ];
  if (includeGeneric)
    specs.push({
      name: 'inspect',
      containerNames: [],
      usage: '[OPTIONS] NAME|ID [NAME|ID...]',
      description: 'Return low-level information on Docker objects',
      flags: [...INSPECT_FLAGS, { long: 'type', kind: 'string', usage: 'Only inspect objects of the given type' }],
      minArgs: 1,
      run: (f, ctx) => {
        const type = f.string('type');
        if (type && type !== 'container' && type !== 'image') throw new CliError(`"${type}" is not a valid value for --type`, 1);
        return inspectObjects(f, ctx, type ? [type as Kind] : ['container', 'image'], true);
      },
    });
  return specs;
}
