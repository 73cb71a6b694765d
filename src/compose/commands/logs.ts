// `logs`: every selected container's output with Compose's prefixes,
// followed with -f until the containers stop or Ctrl-C.
import type { Command } from 'commander';
import { ComposeError } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import { inspectContainer, listContainers, nameOf, numberOf, serviceOf } from '../converge-containers.js';
import { selectServices } from '../converge.js';
import { LogPrinter, displayName, streamLogs, useColor } from '../logs.js';
import { toApiTimestamp } from '../../cli/format/units.js';

interface LogsFlags {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  color?: boolean;
  logPrefix?: boolean;
  index?: string;
}

function timestamp(flag: string, v: string | undefined): string | undefined {
  if (!v) return undefined;
  try {
    return toApiTimestamp(v);
  } catch (e) {
    throw new ComposeError(`invalid value for "${flag}": ${(e as Error).message}`);
  }
}

export function registerLogsCommand(compose: Command, cc: ComposeContext): void {
  compose
    .command('logs')
    .description('View output from containers')
    .argument('[service...]')
    .option('-f, --follow', 'Follow log output')
    .option('-n, --tail <n>', 'Number of lines to show from the end of the logs for each container', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option(
      '--since <ts>',
      'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)',
    )
    .option(
      '--until <ts>',
      'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)',
    )
    .option('--no-color', 'Produce monochrome output')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .option('--index <n>', 'index of the container if service has multiple replicas')
    .action(
      run(async (services: string[], f: LogsFlags) => {
        const project = await cc.project({ optional: true });
        if (services.length) selectServices(project, services);
        const since = timestamp('since', f.since);
        const until = timestamp('until', f.until);
        const list = (await listContainers(cc.client, project.name))
          .filter((c) => !services.length || services.includes(serviceOf(c)))
          .filter((c) => f.index === undefined || numberOf(c) === Number(f.index))
          .sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
        const printer = new LogPrinter(process.stdout, {
          color: useColor(process.stdout, f.color === false, cc.options.ansi),
          prefix: f.logPrefix !== false,
        });
        const named = list.map((c) => ({ c, name: displayName(project.name, nameOf(c)) }));
        named.forEach((n) => printer.register(n.name));
        const abort = new AbortController();
        const stop = (): void => abort.abort();
        process.once('SIGINT', stop);
        try {
          await Promise.all(
            named.map(async ({ c, name }) => {
              const info = await inspectContainer(cc.client, c.Id);
              await streamLogs(cc.client, { Id: c.Id, name, tty: Boolean(info.Config?.Tty) }, printer, {
                follow: f.follow,
                tail: f.tail,
                since,
                until,
                timestamps: f.timestamps,
                signal: abort.signal,
              });
            }),
          );
        } finally {
          process.off('SIGINT', stop);
        }
      }),
    );
}
