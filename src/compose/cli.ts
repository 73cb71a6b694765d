// `berth compose`: the command tree with Compose v2's global flags; each
// command group lives in commands/*.ts and gets a ComposeContext that loads
// the project on demand.
import { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from '../cli/context.js';
import { ComposeError, type LoadOptions, type Project } from './model.js';
import { loadProject } from './load.js';
import { normalizeProjectName } from './discover.js';
import { Progress, type ProgressMode } from './progress.js';
import { registerUpCommands } from './commands/up.js';
import { registerDownCommands } from './commands/down.js';
import { registerListCommands } from './commands/ps.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerLifecycleCommands } from './commands/lifecycle.js';
import { registerAttachStatsCommands } from './commands/attach-stats.js';
import { registerExecCommands } from './commands/exec.js';
import { registerImageCommands } from './commands/images.js';
import { registerInfoCommands } from './commands/info.js';
import { registerConfigCommand } from './commands/config.js';

export interface ComposeGlobals {
  file: string[];
  projectName?: string;
  projectDirectory?: string;
  envFile: string[];
  profile: string[];
  ansi: string;
  progress?: string;
  parallel?: string;
  dryRun?: boolean;
}

export class ComposeContext {
  constructor(
    readonly cli: CliContext,
    private readonly globals: () => ComposeGlobals,
  ) {}

  get client() {
    return this.cli.client;
  }

  get options(): ComposeGlobals {
    return this.globals();
  }

  loadOptions(): LoadOptions {
    const g = this.globals();
    return {
      files: g.file,
      projectName: g.projectName,
      projectDirectory: g.projectDirectory,
      envFiles: g.envFile,
      profiles: g.profile,
      cwd: process.cwd(),
      env: process.env,
    };
  }

  /**
   * The project model. With `optional`, a missing compose file is fine when
   * the project name is known (-p or COMPOSE_PROJECT_NAME): the commands then
   * work from the containers' labels, as Compose does.
   */
  async project(opts: { optional?: boolean; services?: string[] } = {}): Promise<Project> {
    const lo = this.loadOptions();
    // Refused rather than ignored: a dry run that acts would be worse than none.
    if (this.globals().dryRun) throw new ComposeError('--dry-run is not supported by berth compose yet');
    try {
      return await loadProject({
        ...lo,
        ...(opts.services ? { services: opts.services } : {}),
      } as LoadOptions);
    } catch (e) {
      const name = lo.projectName || process.env.COMPOSE_PROJECT_NAME;
      if (
        opts.optional &&
        name &&
        e instanceof ComposeError &&
        /no configuration file provided/.test(e.message)
      )
        return emptyProject(normalizeProjectName(name), process.cwd());
      throw e;
    }
  }

  progress(title = 'Running'): Progress {
    const g = this.globals();
    let mode = (g.progress ?? process.env.COMPOSE_PROGRESS ?? 'auto') as ProgressMode;
    if (g.ansi === 'never' && mode === 'auto') mode = 'plain';
    if (!['auto', 'tty', 'plain', 'quiet', 'json'].includes(mode))
      throw new ComposeError(`unsupported --progress value "${mode}"`);
    return new Progress(process.stderr, mode, title);
  }
}

export function emptyProject(name: string, dir: string): Project {
  return {
    name,
    working_dir: dir,
    config_files: [],
    environment: {},
    services: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    disabled_services: {},
  };
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** Wraps an action so Compose errors exit with Compose's code and text. */
export function run<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number | void;
    try {
      code = await fn(...args);
    } catch (e) {
      if (e instanceof ComposeError) throw new CliError(e.message, e.exitCode);
      if (e instanceof ApiError && e.status !== 0)
        throw new CliError(`Error response from daemon: ${e.message}`, 1);
      throw e;
    }
    if (typeof code === 'number' && code !== 0) throw new CliError('', code);
  };
}

export function registerComposeCommands(program: Command, ctx: CliContext): Command {
  const compose = program
    .command('compose')
    .description('Docker Compose')
    .usage('[OPTIONS] COMMAND')
    .option('-f, --file <file>', 'Compose configuration files', collect, [])
    .option('-p, --project-name <name>', 'Project name')
    .option('--project-directory <dir>', 'Specify an alternate working directory')
    .option('--env-file <file>', 'Specify an alternate environment file', collect, [])
    .option('--profile <profile>', 'Specify a profile to enable', collect, [])
    .option(
      '--ansi <mode>',
      'Control when to print ANSI control characters ("never"|"always"|"auto")',
      'auto',
    )
    .option('--progress <mode>', 'Set type of progress output (auto, tty, plain, json, quiet)')
    .option('--parallel <n>', 'Control max parallelism, -1 for unlimited', '-1')
    .option('--dry-run', 'Execute command in dry run mode');
  // Run by the docker CLI as its plugin: help and usage read `docker compose`.
  if (process.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND) program.name('docker');
  const cc = new ComposeContext(ctx, () => compose.opts<ComposeGlobals>());
  registerUpCommands(compose, cc);
  registerDownCommands(compose, cc);
  registerListCommands(compose, cc);
  registerLogsCommand(compose, cc);
  registerLifecycleCommands(compose, cc);
  registerExecCommands(compose, cc);
  registerAttachStatsCommands(compose, cc);
  registerImageCommands(compose, cc);
  registerInfoCommands(compose, cc);
  registerConfigCommand(compose, cc);
  return compose;
}
