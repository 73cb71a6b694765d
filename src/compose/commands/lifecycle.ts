// start, stop, restart, kill, pause, unpause, wait: one engine call per
// container, in dependency order where Compose keeps one.
import type { Command } from 'commander';
import { ComposeError, type Project } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import {
  isOneoff,
  listContainers,
  nameOf,
  serviceOf,
  startContainer,
  stopContainer,
  stopTimeout,
  type Summary,
} from '../converge-containers.js';
import { selectServices } from '../converge.js';
import { visitInOrder } from '../graph.js';
import { ids, type Progress } from '../progress.js';

async function targets(
  cc: ComposeContext,
  services: string[],
): Promise<{ project: Project; list: Summary[] }> {
  const project = await cc.project({ optional: true });
  if (services.length) selectServices(project, services);
  const list = (await listContainers(cc.client, project.name)).filter(
    (c) => !isOneoff(c) && (!services.length || services.includes(serviceOf(c))),
  );
  return { project, list };
}

/** Runs `fn` per service in order (model services), then for containers of unknown services. */
async function inOrder(
  project: Project,
  list: Summary[],
  direction: 'up' | 'down',
  fn: (c: Summary) => Promise<void>,
): Promise<void> {
  const known = [...new Set(list.map(serviceOf))].filter((s) => project.services[s]);
  await visitInOrder(project, known, direction, async (s) => {
    await Promise.all(list.filter((c) => serviceOf(c) === s).map(fn));
  });
  await Promise.all(list.filter((c) => !project.services[serviceOf(c)]).map(fn));
}

async function simple(
  client: ComposeContext['client'],
  c: Summary,
  path: string,
  query: Record<string, string | number | undefined>,
  [doing, done]: [string, string],
  progress: Progress,
): Promise<void> {
  const id = ids.container(nameOf(c));
  progress.event(id, doing);
  try {
    await client.post(`/containers/${c.Id}/${path}`, undefined, query);
  } catch (e) {
    progress.event(id, 'Error', { error: true });
    throw e;
  }
  progress.event(id, done);
}

function withProgress(cc: ComposeContext, title: string, fn: (p: Progress) => Promise<void>): Promise<void> {
  const p = cc.progress(title);
  return fn(p).finally(() => p.stop());
}

const seconds = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

export function registerLifecycleCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('start')
    .description('Start services')
    .argument('[service...]')
    .action(
      run(async (services: string[]) => {
        const { project, list } = await targets(cc, services);
        for (const s of services)
          if (!list.some((c) => serviceOf(c) === s))
            throw new ComposeError(`service "${s}" has no container to start`);
        await withProgress(cc, 'Running', (p) =>
          inOrder(project, list, 'up', async (c) => {
            if (c.State !== 'running') await startContainer(cc.client, { Id: c.Id, name: nameOf(c) }, p);
          }),
        );
      }),
    );

  compose
    .command('stop')
    .description('Stop services')
    .argument('[service...]')
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds')
    .action(
      run(async (services: string[], f: { timeout?: string }) => {
        const { project, list } = await targets(cc, services);
        await withProgress(cc, 'Stopping', (p) =>
          inOrder(project, list, 'down', async (c) => {
            if (c.State === 'running' || c.State === 'paused' || c.State === 'restarting')
              await stopContainer(cc.client, c, stopTimeout(project, c, seconds(f.timeout)), p);
          }),
        );
      }),
    );

  compose
    .command('restart')
    .description('Restart service containers')
    .argument('[service...]')
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds')
    .option('--no-deps', "Don't restart dependent services")
    .action(
      run(async (services: string[], f: { timeout?: string }) => {
        const { project, list } = await targets(cc, services);
        await withProgress(cc, 'Restarting', (p) =>
          inOrder(project, list, 'up', (c) =>
            simple(
              cc.client,
              c,
              'restart',
              { t: stopTimeout(project, c, seconds(f.timeout)) },
              ['Restarting', 'Started'],
              p,
            ),
          ),
        );
      }),
    );

  compose
    .command('kill')
    .description('Force stop service containers')
    .argument('[service...]')
    .option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .action(
      run(async (services: string[], f: { signal: string }) => {
        const { list } = await targets(cc, services);
        const running = list.filter((c) => c.State === 'running');
        if (!running.length) throw new ComposeError('no container to kill');
        await withProgress(cc, 'Killing', (p) =>
          Promise.all(
            running.map((c) => simple(cc.client, c, 'kill', { signal: f.signal }, ['Killing', 'Killed'], p)),
          ).then(() => undefined),
        );
      }),
    );

  for (const [cmd, path, desc, doing, done, state] of [
    ['pause', 'pause', 'Pause services', 'Pausing', 'Paused', 'running'],
    ['unpause', 'unpause', 'Unpause services', 'Unpausing', 'Unpaused', 'paused'],
  ] as const)
    compose
      .command(cmd)
      .description(desc)
      .argument('[service...]')
      .action(
        run(async (services: string[]) => {
          const { list } = await targets(cc, services);
          await withProgress(cc, doing, (p) =>
            Promise.all(
              list
                .filter((c) => c.State === state)
                .map((c) => simple(cc.client, c, path, {}, [doing, done], p)),
            ).then(() => undefined),
          );
        }),
      );

  compose
    .command('wait')
    .description('Block until containers of all (or specified) services stop.')
    .argument('<service...>')
    .option('--down-project', 'Drops project when the first container stops')
    .action(
      run(async (services: string[]) => {
        const { list } = await targets(cc, services);
        // Compose returns the exit code of the first container that stops.
        const first = await Promise.race(
          list.map(
            async (c) =>
              ((await cc.client.post(`/containers/${c.Id}/wait`)) as { StatusCode: number }).StatusCode,
          ),
        );
        return first;
      }),
    );
}
