// `attach` (a service container's streams) and `stats` (the project's
// containers' resource use): the docker CLI's own commands, aimed at the
// project's containers as Compose does.
import type { Command } from 'commander';
import { ComposeError } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import { isOneoff, listContainers, numberOf, serviceOf } from '../converge-containers.js';
import { attachToContainer } from '../../cli/containers-run.js';
import { showStats } from '../../cli/containers-stats.js';

interface AttachFlags {
  index: string;
  detachKeys?: string;
  stdin?: boolean;
  sigProxy?: boolean;
}

interface StatsFlags {
  all?: boolean;
  format?: string;
  stream?: boolean;
  trunc?: boolean;
}

export function registerAttachStatsCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('attach')
    .description("Attach local standard input, output, and error streams to a service's running container")
    .argument('<service>')
    .option('--detach-keys <keys>', 'Override the key sequence for detaching from a container')
    .option('--index <n>', 'index of the container if service has multiple replicas', '1')
    .option('--no-stdin', 'Do not attach STDIN')
    .option('--sig-proxy [bool]', 'Proxy all received signals to the process (default true)', (v) => v !== 'false', true)
    .action(
      run(async (service: string, f: AttachFlags) => {
        const project = await cc.project({ optional: true });
        const c = (await listContainers(cc.client, project.name)).find(
          (x) => !isOneoff(x) && serviceOf(x) === service && numberOf(x) === Number(f.index),
        );
        if (!c) throw new ComposeError(`service "${service}" is not running container #${f.index}`);
        return attachToContainer(cc.cli, c.Id, {
          noStdin: f.stdin === false,
          detachKeys: f.detachKeys,
          sigProxy: f.sigProxy !== false,
        });
      }),
    );

  compose
    .command('stats')
    .description('Display a live stream of container(s) resource usage statistics')
    .argument('[service]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--format <format>', 'Format output using a custom template')
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', "Don't truncate output")
    .action(
      run(async (service: string | undefined, f: StatsFlags) => {
        const project = await cc.project({ optional: true });
        const list = (await listContainers(cc.client, project.name)).filter(
          (c) => (f.all || c.State === 'running') && (!service || serviceOf(c) === service),
        );
        return showStats(cc.cli, list.map((c) => c.Id), {
          format: f.format,
          noStream: f.stream === false,
          noTrunc: f.trunc === false,
        });
      }),
    );
}
