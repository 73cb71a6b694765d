// `compose config`: parse, resolve and print the project in canonical form
// (YAML or `--format json`), or one of its lists (`--services`, `--volumes`,
// `--images`, `--profiles`), or nothing (`-q`, validation only).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ComposeError, type LoadOptions, type Project } from '../model.js';
import type { ComposeContext } from '../cli.js';
import { CliError } from '../../cli/context.js';
import { loadProject } from '../load.js';
import { allProfiles } from '../profiles.js';
import { projectToJson, projectToYaml } from './config-render.js';

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
  const project = await loadProject({ ...opts, services }, { noInterpolate: flags.interpolate === false });
  const all = { ...project.services, ...project.disabled_services };
  if (services.length > 0) {
    project.services = Object.fromEntries(
      Object.entries(project.services).filter(([k]) => services.includes(k)),
    );
  }
  const text = configOutput(project, flags, all);
  if (flags.output) writeFileSync(flags.output, text);
  else out.write(text);
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
