// berth: the client CLI. Global flags, then one command group per module;
// errors print like docker's and exit with docker's codes.
import { Command } from 'commander';
import { ApiError } from '../client/client.js';
import { CliContext, CliError, type GlobalOptions } from '../cli/context.js';
import { registerSystemCommands } from '../cli/system.js';
import { registerImageCommands } from '../cli/images.js';
import { registerContainerCommands } from '../cli/containers.js';
import { registerRegistryCommands } from '../cli/registry.js';
import { registerVolumeCommands } from '../cli/volumes.js';
import { registerNetworkCommands } from '../cli/networks.js';
import { registerCpCommands } from '../cli/cp.js';
import { registerCommitCommands } from '../cli/commit.js';
import { registerBuildCommands } from '../cli/build.js';
import { BERTH_VERSION } from '../version.js';
import { registerComposeCommands } from '../compose/cli.js';
import { pluginArgv } from '../compose/plugin.js';

const program = new Command('berth')
  .description('A self-sufficient runtime for containers')
  .usage('[OPTIONS] COMMAND')
  .version(`berth version ${BERTH_VERSION}`, '-v, --version', 'Print version information and quit')
  .option('-H, --host <host>', 'Daemon socket to connect to')
  .option('-l, --log-level <level>', 'Set the logging level')
  .option('-D, --debug', 'Enable debug mode')
  .enablePositionalOptions()
  .showSuggestionAfterError(false)
  .configureOutput({
    // docker's text for an unknown command; commander's own for the rest.
    outputError: (str, write) => {
      const unknown = /unknown command '([^']*)'/.exec(str);
      write(unknown ? `berth: unknown command: berth ${unknown[1]}\n\nRun 'berth --help' for more information\n` : str);
    },
  })
  .exitOverride((err) => {
    // commander's own errors (unknown flag, missing argument) are usage errors.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
      process.exit(0);
    process.exit(err.code === 'commander.unknownCommand' ? 1 : 125);
  });

const ctx = new CliContext(() => program.opts<GlobalOptions>());
registerSystemCommands(program, ctx);
registerImageCommands(program, ctx); // before containers: its generic `inspect` covers every object type
registerContainerCommands(program, ctx);
registerRegistryCommands(program, ctx);
registerVolumeCommands(program, ctx);
registerNetworkCommands(program, ctx);
registerCpCommands(program, ctx);
registerCommitCommands(program, ctx);
registerBuildCommands(program, ctx);
registerComposeCommands(program, ctx);

// As a docker CLI plugin (bin/docker-compose-plugin), argv and the engine come from the docker CLI.
program.parseAsync(pluginArgv(process.argv)).catch((e: unknown) => {
  if (e instanceof ApiError) {
    process.stderr.write(e.status === 0 ? `${e.message}\n` : `Error response from daemon: ${e.message}\n`);
    process.exit(1);
  }
  if (e instanceof CliError) {
    if (e.message) process.stderr.write(e.message + '\n');
    process.exit(e.exitCode);
  }
  process.stderr.write(`${(e as Error).message ?? e}\n`);
  process.exit(1);
});
