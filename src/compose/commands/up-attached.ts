// `up` in the foreground: follow the attached containers' output with
// Compose's prefixes, report each exit, stop everything on Ctrl-C (or on the
// first exit with --abort-on-container-exit).
import type { ComposeContext } from '../cli.js';
import type { Project } from '../model.js';
import type { Replica } from '../converge.js';
import { LogPrinter, displayName, streamLogs, useColor } from '../logs.js';
import {
  inspectContainer,
  listContainers,
  serviceContainers,
  serviceOf,
  stopContainer,
  stopTimeout,
  type Summary,
} from '../converge-containers.js';
import { visitInOrder, withDependencies } from '../graph.js';
import { CliError } from '../../cli/context.js';

export interface AttachOptions {
  services: string[];
  attach: string[];
  noAttach: string[];
  attachDependencies?: boolean;
  prefix: boolean;
  noColor: boolean;
  timestamps?: boolean;
  abortOnExit: boolean;
  exitCodeFrom?: string;
  timeout?: number;
}

function attachedServices(project: Project, o: AttachOptions): Set<string> {
  let names = o.attach.length ? o.attach : o.services.length ? o.services : Object.keys(project.services);
  if (o.attachDependencies && !o.attach.length) names = withDependencies(project, names);
  return new Set(names.filter((n) => !o.noAttach.includes(n)));
}

export async function attachAndWait(
  cc: ComposeContext,
  project: Project,
  replicas: Replica[],
  o: AttachOptions,
): Promise<number> {
  const out = process.stdout;
  const printer = new LogPrinter(out, { color: useColor(out, o.noColor, cc.options.ansi), prefix: o.prefix });
  const wanted = attachedServices(project, o);
  const attached = replicas.filter((r) => wanted.has(r.service));
  const names = new Map(attached.map((r) => [r.Id, displayName(project.name, r.name)]));
  for (const n of names.values()) printer.register(n);
  out.write(`Attaching to ${[...names.values()].join(', ')}\n`);

  const abort = new AbortController();
  const exitCodes = new Map<string, number>();
  let stopping: Promise<void> | undefined;
  let firstExit: { service: string; code: number } | undefined;
  let interrupted = false;

  const stopAll = async (progressTitle: string): Promise<void> => {
    const progress = cc.progress(progressTitle);
    const all: Summary[] = serviceContainers(
      await listContainers(cc.client, project.name),
      Object.keys(project.services),
    );
    // Dependents stop before what they depend on, as Compose does.
    await visitInOrder(project, [...new Set(all.map(serviceOf))], 'down', async (svc) => {
      await Promise.all(
        all
          .filter((c) => serviceOf(c) === svc && c.State === 'running')
          .map((c) => stopContainer(cc.client, c, stopTimeout(project, c, o.timeout), progress)),
      );
    }).finally(() => progress.stop());
  };

  const onSigint = (): void => {
    if (interrupted) {
      // Second Ctrl-C: kill without waiting, as Compose forces.
      void Promise.all(
        attached.map((r) => cc.client.post(`/containers/${r.Id}/kill`).catch(() => undefined)),
      ).then(() => process.exit(130));
      return;
    }
    interrupted = true;
    process.stderr.write('Gracefully stopping... (press Ctrl+C again to force)\n');
    stopping ??= stopAll('Stopping');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  try {
    await Promise.all(
      attached.map(async (r) => {
        const name = names.get(r.Id)!;
        const info = await inspectContainer(cc.client, r.Id);
        await streamLogs(cc.client, { Id: r.Id, name, tty: Boolean(info.Config?.Tty) }, printer, {
          follow: true,
          tail: r.fresh ? 'all' : '0',
          timestamps: o.timestamps,
          signal: abort.signal,
        });
        if (abort.signal.aborted) return;
        const state = (await cc.client.post(`/containers/${r.Id}/wait`)) as { StatusCode: number };
        exitCodes.set(r.service, state.StatusCode);
        printer.status(name, `exited with code ${state.StatusCode}`);
        if (o.abortOnExit && !stopping) {
          firstExit ??= { service: r.service, code: state.StatusCode };
          process.stderr.write('Aborting on container exit...\n');
          stopping = stopAll('Stopping');
        }
      }),
    );
    await stopping;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    abort.abort();
  }
  if (interrupted) throw new CliError('', 130);
  if (o.exitCodeFrom) return exitCodes.get(o.exitCodeFrom) ?? 0;
  return firstExit?.code ?? 0;
}
