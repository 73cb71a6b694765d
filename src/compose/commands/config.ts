// `compose config`: parse, resolve and print the project in canonical form
// (YAML or `--format json`), or one of its lists (`--services`, `--volumes`,
// `--images`, `--profiles`), or nothing (`-q`, validation only).
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ComposeError, type LoadOptions, type Project } from '../model.js';
import type { ComposeContext } from '../cli.js';
import { CliError } from '../../cli/context.js';
import { loadProject } from '../load.js';
import { allProfiles } from '../profiles.js';
import { projectToJson, projectToYaml } from './config-render.js';
import { serviceHash } from '../hash.js';
import { configFiles } from '../discover.js';
import { parseComposeYaml } from '../load-yaml.js';
import { variablesInTree } from '../load-variables.js';
import { tabwrite } from '../../cli/format/table.js';
import { withoutUnusedResources } from '../normalize.js';

export interface ConfigFlags {
  format?: string;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  images?: boolean;
  profiles?: boolean;
  quiet?: boolean;
  interpolate?: boolean;
  output?: string;
  environment?: boolean;
  hash?: string;
  variables?: boolean;
}

/** What `config` prints for these flags (without the trailing newline handling). */
export function configOutput(
  project: Project,
  flags: ConfigFlags,
  allServices: Project['services'] = project.services,
): string {
  if (flags.quiet) return '';
  const lines = (xs: string[]) => xs.map((x) => `${x}\n`).join('');
  if (flags.services) return lines(Object.keys(project.services).sort());
  if (flags.volumes) return lines(Object.keys(project.volumes).sort());
  if (flags.networks) return lines(Object.keys(project.networks).sort());
  if (flags.profiles) return lines(allProfiles(allServices));
  if (flags.images) {
    return lines(
      Object.keys(project.services)
        .sort()
        .map((k) => project.services[k]!.image ?? `${project.name}-${k}`),
    );
  }
  if (flags.hash !== undefined) {
    const wanted =
      flags.hash === '*' ? Object.keys(project.services).sort() : flags.hash.split(',').map((x) => x.trim());
    return lines(
      wanted.map((name) => {
        const s = project.services[name];
        if (!s) throw new ComposeError(`no such service: ${name}`);
        return `${name} ${serviceHash(s)}`;
      }),
    );
  }
  if (flags.environment) {
    return lines(
      Object.keys(project.environment)
        .sort()
        .map((k) => `${k}=${project.environment[k]}`),
    );
  }
  const format = flags.format ?? 'yaml';
  const render = { escapeDollars: flags.interpolate !== false };
  if (format === 'json') return projectToJson(project, render) + '\n';
  if (format === 'yaml') return projectToYaml(project, render);
  throw new ComposeError(`unsupported format ${JSON.stringify(format)}`);
}

export async function configCommand(
  opts: LoadOptions,
  flags: ConfigFlags,
  out: NodeJS.WritableStream,
  services: string[] = [],
): Promise<void> {
  const text = flags.variables ? variablesTable(opts) : await renderedConfig(opts, flags, services);
  if (flags.output) writeFileSync(flags.output, text);
  else out.write(text);
}

async function renderedConfig(opts: LoadOptions, flags: ConfigFlags, services: string[]): Promise<string> {
  let project = await loadProject({ ...opts, services }, { noInterpolate: flags.interpolate === false });
  const all = { ...project.services, ...project.disabled_services };
  if (services.length > 0) project = withoutUnusedResources(selectWithDependencies(project, services));
  return configOutput(project, flags, all);
}

/** The named services and, transitively, what they depend on (Compose's default for `config web`). */
function selectWithDependencies(project: Project, names: string[]): Project {
  const keep = new Set<string>();
  const visit = (n: string) => {
    if (keep.has(n) || !project.services[n]) return;
    keep.add(n);
    Object.keys(project.services[n]!.depends_on).forEach(visit);
  };
  names.forEach(visit);
  return {
    ...project,
    services: Object.fromEntries(Object.entries(project.services).filter(([k]) => keep.has(k))),
  };
}

/** `config --variables`: every variable the files use, sorted, in Compose's table. */
function variablesTable(opts: LoadOptions): string {
  const { files } = configFiles(opts.files, opts.cwd, opts.env);
  const vars = new Map();
  for (const f of files) {
    const text = f === '-' ? readFileSync(0, 'utf8') : readFileSync(f, 'utf8');
    variablesInTree(parseComposeYaml(text, f).data, vars);
  }
  const rows = [...vars.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((v) => `${v.name}\t${v.required}\t${v.defaultValue}\t${v.alternateValue}`);
  return tabwrite(['NAME\tREQUIRED\tDEFAULT VALUE\tALTERNATE VALUE', ...rows].join('\n') + '\n', {
    minwidth: 20,
    padding: 3,
  });
}

export function registerConfigCommand(compose: Command, cc: ComposeContext): void {
  compose
    .command('config')
    .alias('convert')
    .description('Parse, resolve and render compose file in canonical format')
    .usage('[OPTIONS] [SERVICE...]')
    .argument('[service...]')
    .option('--format <format>', 'Format the output. Values: [yaml | json]', 'yaml')
    .option('--services', 'Print the service names, one per line.')
    .option('--volumes', 'Print the volume names, one per line.')
    .option('--networks', 'Print the network names, one per line.')
    .option('--images', 'Print the image names, one per line.')
    .option('--profiles', 'Print the profile names, one per line.')
    .option('--environment', 'Print environment used for interpolation.')
    .option('--hash <services>', 'Print the service config hash, one per line ("*" for all).')
    .option('--variables', 'Print model variables and default values.')
    .option('-q, --quiet', "Only validate the configuration, don't print anything.")
    .option('--no-interpolate', "Don't interpolate environment variables.")
    .option('-o, --output <file>', 'Save to file (default to stdout)')
    .action(async (services: string[], flags: ConfigFlags) => {
      try {
        await configCommand(cc.loadOptions(), flags, cc.cli.out, services);
      } catch (e) {
        if (e instanceof ComposeError) throw new CliError(e.message, e.exitCode);
        throw e;
      }
    });
}
