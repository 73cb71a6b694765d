// `down` (stop and remove containers in parallel, then networks, volumes
// with -v, images with --rmi) and `rm` (stopped service containers).
import type { Command } from 'commander';
import { ApiError } from '../../client/client.js';
import { ComposeError, type Project } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import {
  isOneoff,
  listContainers,
  nameOf,
  orphans,
  removeContainer,
  serviceOf,
  stopAndRemove,
  stopContainer,
  stopTimeout,
  type Summary,
} from '../converge-containers.js';
import { removeNetworks, removeVolumes } from '../converge-resources.js';
import { serviceImage } from '../converge-spec.js';
import { ids, type Progress } from '../progress.js';
import { visitInOrder } from '../graph.js';
import { selectServices } from '../converge.js';

/** The containers `down` removes: the model's services (all of them when the model is empty), orphans on request. */
function downTargets(project: Project, list: Summary[], removeOrphans: boolean): Summary[] {
  const noModel = !Object.keys(project.services).length;
  const orphanIds = new Set(orphans(project, list).map((c) => c.Id));
  return list.filter((c) => noModel || removeOrphans || !orphanIds.has(c.Id) || isOneoff(c));
}

async function removeImages(
  cc: ComposeContext,
  project: Project,
  list: Summary[],
  mode: string,
  progress: Progress,
): Promise<void> {
  const refs = new Set<string>();
  for (const s of Object.values(project.services)) {
    if (mode === 'all' || !s.image) refs.add(serviceImage(project, s));
  }
  if (mode === 'all') for (const c of list) if (c.Image) refs.add(c.Image);
  await Promise.all(
    [...refs].map(async (ref) => {
      const id = ids.image(ref);
      try {
        await cc.client.delete(`/images/${encodeURIComponent(ref)}`);
        progress.event(id, 'Removed');
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) {
          progress.event(id, 'Error', { error: true });
          throw e;
        }
      }
    }),
  );
}

export function registerDownCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('down')
    .description('Stop and remove containers, networks')
    .argument('[service...]')
    .option(
      '-v, --volumes',
      'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers',
    )
    .option(
      '--rmi <type>',
      'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")',
    )
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('-t, --timeout <seconds>', 'Specify a shutdown timeout in seconds')
    .action(
      run(
        async (
          services: string[],
          f: { volumes?: boolean; rmi?: string; removeOrphans?: boolean; timeout?: string },
        ) => {
          if (f.rmi && !['local', 'all'].includes(f.rmi))
            throw new ComposeError(`invalid value for --rmi: ${f.rmi}`);
          const project = await cc.project({ optional: true });
          const timeout = f.timeout !== undefined ? Number(f.timeout) : undefined;
          const list = await listContainers(cc.client, project.name);
          const progress = cc.progress();
          try {
            let targets = downTargets(
              project,
              list,
              Boolean(f.removeOrphans) || process.env.COMPOSE_REMOVE_ORPHANS === 'true',
            );
            if (services.length) {
              selectServices(project, services);
              targets = targets.filter((c) => services.includes(serviceOf(c)));
            }
            // Dependents stop before their dependencies; containers of one level in parallel.
            const known = [...new Set(targets.map(serviceOf))].filter((s) => project.services[s]);
            const unknown = targets.filter((c) => !project.services[serviceOf(c)]);
            const ofService = (s: string): Summary[] => targets.filter((c) => serviceOf(c) === s);
            await Promise.all(
              unknown.map((c) => stopAndRemove(cc.client, c, timeout, Boolean(f.volumes), progress)),
            );
            await visitInOrder(project, known, 'down', async (s) => {
              await Promise.all(
                ofService(s).map((c) =>
                  stopAndRemove(cc.client, c, stopTimeout(project, c, timeout), Boolean(f.volumes), progress),
                ),
              );
            });
            if (!services.length) {
              await removeNetworks(cc.client, project, progress);
              if (f.volumes) await removeVolumes(cc.client, project, progress);
              if (f.rmi) await removeImages(cc, project, list, f.rmi, progress);
            }
          } finally {
            progress.stop();
          }
        },
      ),
    );

  compose
    .command('rm')
    .description('Removes stopped service containers')
    .argument('[service...]')
    .option('-f, --force', "Don't ask to confirm removal")
    .option('-s, --stop', 'Stop the containers, if required, before removing')
    .option('-v, --volumes', 'Remove any anonymous volumes attached to containers')
    .action(
      run(async (services: string[], f: { force?: boolean; stop?: boolean; volumes?: boolean }) => {
        const project = await cc.project({ optional: true });
        if (services.length) selectServices(project, services);
        let list = (await listContainers(cc.client, project.name)).filter(
          (c) => !isOneoff(c) && (!services.length || services.includes(serviceOf(c))),
        );
        const progress = cc.progress('Removing');
        try {
          if (f.stop)
            await Promise.all(
              list
                .filter((c) => c.State === 'running')
                .map((c) => stopContainer(cc.client, c, undefined, progress)),
            );
          if (f.stop) list = list.map((c) => (c.State === 'running' ? { ...c, State: 'exited' } : c));
          const stopped = list.filter((c) => c.State !== 'running' && c.State !== 'paused');
          if (!stopped.length) {
            process.stderr.write('No stopped containers\n');
            return;
          }
          if (!f.force) {
            process.stderr.write(`Going to remove ${stopped.map(nameOf).join(', ')}\n`);
            const answer = await ask('Are you sure? [yN] ');
            if (!/^y(es)?$/i.test(answer.trim())) return;
          }
          await Promise.all(
            stopped.map((c) => removeContainer(cc.client, c, { volumes: f.volumes, force: true }, progress)),
          );
        } finally {
          progress.stop();
        }
      }),
    );
}

async function ask(question: string): Promise<string> {
  process.stderr.write(question);
  if (!process.stdin.isTTY && process.stdin.readableEnded) return '';
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = (): void => {
      process.stdin.off('data', onData);
      process.stdin.off('end', done);
      process.stdin.pause();
      resolve(buf.split('\n')[0]);
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', done);
  });
}
