// `berth version`, `berth info`, `berth events` / `berth system events`:
// the same data, templates and layout as docker's.
import type { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { API_VERSION } from '../api/version.js';
import { BERTH_VERSION, GIT_COMMIT } from '../version.js';
import { CliError, type CliContext } from './context.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';
import { Template } from './format/template.js';
import { tabwrite } from './format/table.js';
import { sortedKeys } from './format/goprint.js';
import { rfc3339NanoFixed, toApiTimestamp } from './format/units.js';
import { infoData, prettyInfo } from './system-info.js';
import { quickGet } from './quick-get.js';

/** Go field names that differ from the JSON keys (`.Client.APIVersion`). */
export function withAliases<T extends object>(o: T, aliases: Record<string, string>): T {
  for (const [goName, jsonKey] of Object.entries(aliases))
    Object.defineProperty(o, goName, {
      get: () => (o as Record<string, unknown>)[jsonKey],
      enumerable: false,
    });
  return o;
}

// docker's defaultVersionTemplate (cli/command/system/version.go), rendered
// through a tabwriter with minwidth 20 and padding 1.
const VERSION_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:\t{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`.replace(/\\t/g, '\t');

/** RFC 3339 → Go's time.ANSIC ("Mon Jan  2 15:04:05 2006"), as docker shows build times. */
function ansic(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = new Date(v);
  if (!/^\d{4}-\d\d-\d\dT/.test(v) || Number.isNaN(t.getTime())) return v;
  const [wd, , mon, year, time] = t.toUTCString().replace(',', '').split(' ');
  return `${wd} ${mon} ${String(t.getUTCDate()).padStart(2, ' ')} ${time} ${year}`;
}

function clientVersion(): Record<string, unknown> {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const c = withAliases(
    {
      Version: BERTH_VERSION,
      ApiVersion: API_VERSION,
      DefaultAPIVersion: API_VERSION,
      GitCommit: GIT_COMMIT,
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: arch,
      Context: 'default',
    },
    { APIVersion: 'ApiVersion' },
  );
  // Empty in docker's JSON (omitempty), but templates may still name them.
  Object.defineProperty(c, 'Platform', { value: { Name: '' }, enumerable: false });
  Object.defineProperty(c, 'BuildTime', { value: '', enumerable: false });
  return c;
}

async function version(ctx: CliContext, format: string): Promise<number> {
  const client = clientVersion();
  let server: Record<string, any> | null = null;
  let failure: unknown;
  try {
    server = await quickGet(ctx, '/version');
  } catch (e) {
    failure = e;
  }
  if (server) {
    server.BuildTime = ansic(server.BuildTime);
    for (const c of server.Components ?? []) {
      if (c.Details?.BuildTime) c.Details.BuildTime = ansic(c.Details.BuildTime);
      if (c.Details) c.Details = sortedKeys(c.Details); // a Go map: json prints it sorted
    }
    withAliases(server, { APIVersion: 'ApiVersion' });
    server.Platform ??= { Name: '' };
  }
  const data = withAliases({ Client: client, Server: server }, {});
  Object.defineProperty(data, 'ServerOK', { value: server !== null, enumerable: false });
  const src = format === '' ? VERSION_TEMPLATE : format === 'json' ? '{{json .}}' : format;
  let text: string;
  try {
    text = new Template(
      src,
      { getDetailsOrder: (c: { Details?: Record<string, string> }) => Object.keys(c.Details ?? {}).sort() },
      { name: 'version' },
    ).execute(data);
  } catch (e) {
    throw new CliError(`template parsing error: ${(e as Error).message}`, 64);
  }
  ctx.out.write(tabwrite(text + '\n', { minwidth: 20, padding: 1 }));
  if (failure) throw failure;
  return 0;
}

async function info(ctx: CliContext, format: string): Promise<number> {
  const data = await infoData(ctx);
  if (format) {
    const src = format === 'json' ? '{{json .}}' : format;
    let tmpl: Template;
    try {
      tmpl = new Template(src);
    } catch (e) {
      throw new CliError(`template parsing error: ${(e as Error).message}`, 64);
    }
    try {
      ctx.print(tmpl.execute(data));
    } catch (e) {
      ctx.print(); // docker still ends the (partial) output with a newline
      throw new CliError((e as Error).message, 1);
    }
    if (data.ServerErrors) throw new CliError('', 1);
    return 0;
  }
  const { out, warnings, failed } = prettyInfo(data);
  ctx.out.write(out);
  if (warnings.length) ctx.err.write(warnings.join('\n') + '\n');
  if (failed) throw new CliError(failed, 1);
  return 0;
}

/** `--filter a=b` flags → the `filters` JSON docker sends ({"a":{"b":true}}). */
export function filtersJson(list: string[]): string | undefined {
  if (!list.length) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const f of list) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new CliError(`bad format of filter (expected name=value)`, 125);
    const k = f.slice(0, eq).trim().toLowerCase();
    (out[k] ??= {})[f.slice(eq + 1).trim()] = true;
  }
  return JSON.stringify(out);
}

/** An events.Message with Go field names as aliases of the JSON keys. */
function eventObject(ev: Record<string, any>): Record<string, any> {
  if (ev.Actor) withAliases(ev.Actor, {});
  return withAliases(ev, {
    Status: 'status',
    ID: 'id',
    From: 'from',
    Scope: 'scope',
    Time: 'time',
    TimeNano: 'timeNano',
  });
}

/** prettyPrintEvent: `<time> <type> <action> <id> (k=v, …)` with sorted attributes. */
export function eventLine(ev: Record<string, any>): string {
  let s = '';
  if (ev.timeNano) s += rfc3339NanoFixed(BigInt(ev.timeNano)) + ' ';
  else if (ev.time) s += rfc3339NanoFixed(BigInt(ev.time) * 1_000_000_000n) + ' ';
  s += `${ev.Type} ${ev.Action} ${ev.Actor?.ID ?? ''}`;
  const attrs: Record<string, string> = ev.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return s;
}

async function events(
  ctx: CliContext,
  opts: { since: string; until: string; filters: string[]; format: string },
): Promise<number> {
  const now = Date.now();
  const conv = (v: string): string | undefined => {
    if (!v) return undefined;
    try {
      return toApiTimestamp(v, now);
    } catch (e) {
      throw new CliError((e as Error).message, 1);
    }
  };
  const query = { since: conv(opts.since), until: conv(opts.until), filters: filtersJson(opts.filters) };
  let tmpl: Template | undefined;
  try {
    tmpl = opts.format ? new Template(opts.format === 'json' ? '{{json .}}' : opts.format) : undefined;
  } catch (e) {
    throw new CliError(`Error parsing format: ${(e as Error).message}`, 64);
  }
  const res = await ctx.client.call('GET', '/events', { query });
  process.once('SIGINT', () => {
    res.destroy();
    process.exit(0);
  });
  let buf = '';
  for await (const chunk of res) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const ev = eventObject(JSON.parse(line) as Record<string, any>);
      // timeNano exceeds 2^53: keep the digits the daemon sent.
      const nano = /"timeNano":(\d+)/.exec(line)?.[1];
      if (nano)
        Object.defineProperty(ev, 'timeNano', { value: BigInt(nano), enumerable: true, writable: true });
      ctx.print(tmpl ? tmpl.execute(ev) : eventLine(ev));
    }
  }
  return 0;
}

const formatFlag = flag.string('format', 'f', 'Format output using a custom template', 'string');

const specs: Spec[] = [
  {
    paths: [['version']],
    usage: '[OPTIONS]',
    description: 'Show the berth version information',
    flags: [formatFlag],
    args: { max: 0 },
    run: (f, ctx) => version(ctx, f.string('format')),
  },
  {
    paths: [['system', 'info'], ['info']],
    usage: '[OPTIONS]',
    description: 'Display system-wide information',
    flags: [formatFlag],
    args: { max: 0 },
    run: (f, ctx) => info(ctx, f.string('format')),
  },
  {
    paths: [['system', 'events'], ['events']],
    usage: '[OPTIONS]',
    description: 'Get real time events from the server',
    flags: [
      flag.filter(),
      flag.string('format', undefined, 'Format output using a custom template'),
      flag.string('since', undefined, 'Show all events created since timestamp'),
      flag.string('until', undefined, 'Stream events until this timestamp'),
    ],
    args: { max: 0 },
    run: (f, ctx) =>
      events(ctx, {
        since: f.string('since'),
        until: f.string('until'),
        filters: f.list('filter'),
        format: f.string('format'),
      }),
  },
];

export function registerSystemCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, specs);
}

export { ApiError };
