// top, port, events, cp, version.
import type { Command } from 'commander';
import { ComposeError } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import { COMPOSE_VERSION, L, projectFilter } from '../labels.js';
import {
  inspectContainer,
  isOneoff,
  listContainers,
  nameOf,
  numberOf,
  serviceOf,
} from '../converge-containers.js';
import { tabwrite } from '../../cli/format/table.js';
import { eachJsonLine } from '../../client/client.js';

export function registerInfoCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('top')
    .description('Display the running processes')
    .argument('[service...]')
    .action(
      run(async (services: string[]) => {
        const project = await cc.project({ optional: true });
        const list = (await listContainers(cc.client, project.name, false))
          .filter((c) => !services.length || services.includes(serviceOf(c)))
          .sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
        const tops = await Promise.all(
          list.map(async (c) => ({
            c,
            top: (await cc.client.get(`/containers/${c.Id}/top`)) as {
              Titles: string[];
              Processes: string[][];
            },
          })),
        );
        const blocks = tops.map(({ c, top }) => {
          const table = [top.Titles, ...top.Processes].map((r) => r.join('\t') + '\t').join('\n');
          return `${nameOf(c)}\n${tabwrite(table, { minwidth: 4, padding: 3 })}\n`;
        });
        process.stdout.write(blocks.join('\n'));
      }),
    );

  compose
    .command('port')
    .description('Print the public port for a port binding')
    .argument('<service>')
    .argument('<private_port>')
    .option('--protocol <proto>', 'tcp or udp', 'tcp')
    .option('--index <n>', 'Index of the container if service has multiple replicas', '1')
    .action(
      run(async (service: string, port: string, f: { protocol: string; index: string }) => {
        const project = await cc.project({ optional: true });
        const c = (await listContainers(cc.client, project.name)).find(
          (x) => !isOneoff(x) && serviceOf(x) === service && numberOf(x) === Number(f.index),
        );
        if (!c) throw new ComposeError(`service "${service}" is not running`);
        const info = await inspectContainer(cc.client, c.Id);
        const key = `${port}/${f.protocol}`;
        const bindings = info.NetworkSettings?.Ports?.[key] as
          { HostIp: string; HostPort: string }[] | null | undefined;
        if (!bindings?.length)
          throw new ComposeError(
            `no port ${key} for container ${nameOf(c)}: ${JSON.stringify(info.NetworkSettings?.Ports ?? {})}`,
          );
        process.stdout.write(`${bindings[0].HostIp || '0.0.0.0'}:${bindings[0].HostPort}\n`);
      }),
    );

  compose
    .command('events')
    .description('Receive real time events from containers')
    .argument('[service...]')
    .option('--json', 'Output events as a stream of json objects')
    .option('--since <ts>', 'Show all events created since timestamp')
    .option('--until <ts>', 'Stream events until this timestamp')
    .action(
      run(async (services: string[], f: { json?: boolean; since?: string; until?: string }) => {
        const project = await cc.project({ optional: true });
        const res = await cc.client.call('GET', '/events', {
          query: { filters: projectFilter(project.name), since: f.since, until: f.until },
        });
        const stop = (): void => void res.destroy();
        process.once('SIGINT', stop);
        try {
          await eachJsonLine(res, (e: any) => {
            const attrs: Record<string, string> = e.Actor?.Attributes ?? {};
            const service = attrs[L.service] ?? '';
            if (services.length && !services.includes(service)) return;
            const time = new Date(Math.floor((e.timeNano ?? e.time * 1e9) / 1e6)).toISOString();
            if (f.json) {
              process.stdout.write(
                JSON.stringify({
                  action: e.Action,
                  attributes: attrs,
                  id: e.Actor?.ID ?? e.id,
                  service,
                  time,
                  type: e.Type,
                }) + '\n',
              );
            } else {
              const a = Object.entries(attrs)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ');
              process.stdout.write(
                `${time.replace('T', ' ').replace('Z', '')} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''} (${a})\n`,
              );
            }
          });
        } catch {
          /* interrupted */
        } finally {
          process.off('SIGINT', stop);
        }
      }),
    );

  compose
    .command('cp')
    .description('Copy files/folders between a service container and the local filesystem')
    .argument('<src>')
    .argument('<dest>')
    .option('--index <n>', 'Index of the container if service has multiple replicas', '1')
    .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
    .action(
      run(
        async (src: string, dest: string, f: { index: string; archive?: boolean; followLink?: boolean }) => {
          const project = await cc.project({ optional: true });
          const list = await listContainers(cc.client, project.name);
          // `service:path` becomes `<container id>:path`; the engine copy is berth cp's.
          const resolve = (arg: string): string => {
            const m = /^([^/.][^:]*):(.*)$/.exec(arg);
            if (!m) return arg;
            const c = list.find(
              (x) => !isOneoff(x) && serviceOf(x) === m[1] && numberOf(x) === Number(f.index),
            );
            if (!c) throw new ComposeError(`service "${m[1]}" is not running`);
            return `${c.Id}:${m[2]}`;
          };
          const args = [
            'cp',
            ...(f.archive ? ['-a'] : []),
            ...(f.followLink ? ['-L'] : []),
            resolve(src),
            resolve(dest),
          ];
          await compose.parent!.parseAsync(args, { from: 'user' });
        },
      ),
    );

  compose
    .command('version')
    .description('Show the Docker Compose version information')
    .option('-f, --format <format>', 'Format the output. Values: [pretty | json]', 'pretty')
    .option('--short', "Shows only Compose's version number")
    .action(
      run(async (f: { format: string; short?: boolean }) => {
        if (f.short) return void process.stdout.write(`${COMPOSE_VERSION}\n`);
        if (f.format === 'json')
          return void process.stdout.write(JSON.stringify({ version: `v${COMPOSE_VERSION}` }) + '\n');
        process.stdout.write(`Docker Compose version v${COMPOSE_VERSION}\n`);
      }),
    );
}
