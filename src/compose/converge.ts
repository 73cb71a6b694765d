// Convergence like Compose v2's `create`/`up`: compare each service's
// containers with the model by config hash and image, create what is
// missing, recreate what changed, scale, then start in dependency order,
// waiting for depends_on conditions.
import type { Client } from '../client/client.js';
import { ComposeError, type Project, type Service } from './model.js';
import { L } from './labels.js';
import { serviceHash } from './hash.js';
import { visitInOrder, withDependencies } from './graph.js';
import { containerName, createBody, type InjectedFile } from './converge-spec.js';
import { tarBuffer, type TarHeader } from '../image/tar-write.js';
import { ensureResources } from './converge-resources.js';
import { ensureImages, type ImageOptions } from './converge-images.js';
import {
  listContainers,
  nameOf,
  numberOf,
  orphans,
  serviceContainers,
  startContainer,
  stopAndRemove,
  stopContainer,
  stopTimeout,
  type Summary,
} from './converge-containers.js';
import { waitForDependencies, waitHealthy } from './converge-wait.js';
import { ids, Progress, warnLine } from './progress.js';

const QUIET = new Progress(process.stderr, 'quiet');

export interface UpOptions extends ImageOptions {
  /** Selected services (empty = all). */
  services: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  scale?: Record<string, number>;
  removeOrphans?: boolean;
  /** false for `create`. */
  start: boolean;
  /** -t for the stops of a recreate or scale-down. */
  timeout?: number;
  wait?: boolean;
  /** Seconds; 0 = no limit. */
  waitTimeout?: number;
}

/** A container as it is after convergence. */
export interface Replica {
  Id: string;
  name: string;
  service: string;
  number: number;
  /** Created or recreated by this run (its whole log is new). */
  fresh: boolean;
  running: boolean;
}

/** The services a command acts on: the selection (checked) plus dependencies unless --no-deps. */
export function selectServices(project: Project, selected: string[], noDeps = false): string[] {
  for (const s of selected) if (!project.services[s]) throw new ComposeError(`no such service: ${s}`);
  if (!selected.length) return Object.keys(project.services);
  return noDeps ? selected : withDependencies(project, selected);
}

export function desiredScale(s: Service, scale?: Record<string, number>): number {
  return scale?.[s.name] ?? s.scale ?? s.deploy?.replicas ?? 1;
}

export async function converge(
  client: Client,
  project: Project,
  opts: UpOptions,
  progress: Progress,
): Promise<Replica[]> {
  const names = selectServices(project, opts.services, opts.noDeps);
  for (const [svc, n] of Object.entries(opts.scale ?? {}))
    if (!project.services[svc]) throw new ComposeError(`no such service: ${svc}`);
    else if (!(n >= 0)) throw new ComposeError(`invalid scale for service ${svc}`);
  const [list, images] = await Promise.all([
    listContainers(client, project.name),
    ensureImages(client, project, names, opts, progress),
    ensureResources(client, project, names, progress),
  ]).then(([l, i]) => [l, i] as const);
  await handleOrphans(client, project, list, opts, progress);

  // Phase 1, like Compose: create/recreate/scale every service at once (a
  // `network_mode: service:x` service after x, whose container it joins).
  const byService = new Map<string, Replica[]>();
  const createOne = async (name: string): Promise<void> => {
    const ctx: ServiceContext = {
      client,
      project,
      s: project.services[name],
      imageId: images.get(name),
      opts,
      progress,
      byService,
    };
    byService.set(name, await convergeService(ctx, serviceContainers(list, [name])));
  };
  const joinsService = (n: string): boolean =>
    Boolean(project.services[n].network_mode?.startsWith('service:'));
  await Promise.all(names.filter((n) => !joinsService(n)).map(createOne));
  for (const n of names.filter(joinsService)) await createOne(n);

  // Phase 2: start in dependency order, each service once its depends_on conditions hold.
  if (opts.start)
    await visitInOrder(project, names, 'up', async (name) => {
      await waitForDependencies(client, project, project.services[name], progress);
      await Promise.all(
        byService
          .get(name)!
          .filter((r) => !r.running)
          .map(async (r) => {
            await startContainer(client, { Id: r.Id, name: r.name }, progress);
            r.running = true;
          }),
      );
    });
  const replicas = names.flatMap((n) => byService.get(n) ?? []);
  if (opts.wait) await waitHealthy(client, replicas, (opts.waitTimeout ?? 0) * 1000, progress);
  return replicas;
}

async function handleOrphans(
  client: Client,
  project: Project,
  list: Summary[],
  opts: UpOptions,
  progress: Progress,
): Promise<void> {
  const found = orphans(project, list);
  if (!found.length) return;
  if (opts.removeOrphans) {
    await Promise.all(found.map((c) => stopAndRemove(client, c, opts.timeout, false, progress)));
    return;
  }
  progress.message(
    warnLine(
      `Found orphan containers ([${found.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.`,
    ),
  );
}

interface ServiceContext {
  client: Client;
  project: Project;
  s: Service;
  imageId?: string;
  opts: UpOptions;
  progress: Progress;
  byService: Map<string, Replica[]>;
}

function mustRecreate(ctx: ServiceContext, c: Summary): boolean {
  if (ctx.opts.forceRecreate) return true;
  if (ctx.opts.noRecreate) return false;
  if (c.Labels[L.configHash] !== serviceHash(ctx.s)) return true;
  const img = c.Labels[L.image];
  return Boolean(img && ctx.imageId && img !== ctx.imageId);
}

/** Scale, recreate or keep one service's containers; returns them by number. */
async function convergeService(ctx: ServiceContext, existing: Summary[]): Promise<Replica[]> {
  const { client, project, s, progress } = ctx;
  const want = desiredScale(s, ctx.opts.scale);
  if (s.container_name && want > 1)
    throw new ComposeError(
      `services.${s.name}: can't set container_name and ${s.name} as container name must be unique: invalid compose project`,
    );
  const sorted = [...existing].sort((a, b) => numberOf(a) - numberOf(b));
  const keep = sorted.slice(0, want);
  const extra = sorted.slice(want).reverse(); // highest numbers go first
  await Promise.all(
    extra.map((c) => stopAndRemove(client, c, stopTimeout(project, c, ctx.opts.timeout), false, progress)),
  );

  const kept = await Promise.all(
    keep.map(async (c): Promise<Replica> => {
      if (mustRecreate(ctx, c)) return recreate(ctx, c);
      const running = c.State === 'running';
      if (running) progress.event(ids.container(nameOf(c)), 'Running');
      return { Id: c.Id, name: nameOf(c), service: s.name, number: numberOf(c), fresh: !running, running };
    }),
  );
  const used = new Set(kept.map((r) => r.number));
  const numbers: number[] = [];
  for (let n = 1; numbers.length < want - kept.length; n++) if (!used.has(n)) numbers.push(n);
  const created = await Promise.all(numbers.map((n) => createReplica(ctx, n, containerName(project, s, n))));
  return [...kept, ...created].sort((a, b) => a.number - b.number);
}

async function networkModeContainer(ctx: ServiceContext): Promise<string | undefined> {
  const mode = ctx.s.network_mode;
  if (!mode?.startsWith('service:')) return undefined;
  const target = mode.slice('service:'.length);
  const known = ctx.byService.get(target)?.[0];
  if (known) return known.Id;
  const list = serviceContainers(await listContainers(ctx.client, ctx.project.name), [target]);
  if (!list.length) throw new ComposeError(`service ${target} not found for network_mode of ${ctx.s.name}`);
  return list[0].Id;
}

export async function createContainer(
  client: Client,
  spec: ReturnType<typeof createBody>,
  progress: Progress,
  event = true,
): Promise<string> {
  const id = ids.container(spec.name);
  if (event) progress.event(id, 'Creating');
  try {
    const res: { Id: string } = await client.post('/containers/create', spec.body, { name: spec.name });
    for (const n of spec.extraNetworks)
      await client.post(`/networks/${encodeURIComponent(n.name)}/connect`, {
        Container: res.Id,
        EndpointConfig: n.config,
      });
    if (spec.files.length)
      await client
        .call('PUT', `/containers/${res.Id}/archive`, {
          query: { path: '/' },
          body: filesTar(spec.files),
          headers: { 'Content-Type': 'application/x-tar' },
        })
        .then((r) => r.resume());
    if (event) progress.event(id, 'Created');
    return res.Id;
  } catch (e) {
    progress.event(id, 'Error', { error: true });
    throw e;
  }
}

async function createReplica(ctx: ServiceContext, number: number, name: string): Promise<Replica> {
  const spec = createBody({
    project: ctx.project,
    service: ctx.s,
    number,
    name,
    imageId: ctx.imageId,
    networkModeContainer: await networkModeContainer(ctx),
  });
  const Id = await createContainer(ctx.client, spec, ctx.progress);
  return { Id, name, service: ctx.s.name, number, fresh: true, running: false };
}

/** Compose's recreate: stop the old one, rename it aside, create the new one under the name, remove the old. */
async function recreate(ctx: ServiceContext, old: Summary): Promise<Replica> {
  const { client, progress } = ctx;
  const name = nameOf(old);
  const number = numberOf(old) || 1;
  const id = ids.container(name);
  progress.event(id, 'Recreate');
  if (old.State === 'running' || old.State === 'paused' || old.State === 'restarting')
    await stopContainer(client, old, stopTimeout(ctx.project, old, ctx.opts.timeout), QUIET);
  await client.post(`/containers/${old.Id}/rename`, undefined, { name: `${old.Id.slice(0, 12)}_${name}` });
  const spec = createBody({
    project: ctx.project,
    service: ctx.s,
    number,
    name,
    imageId: ctx.imageId,
    networkModeContainer: await networkModeContainer(ctx),
  });
  spec.body.Labels[L.replace] = old.Id;
  const Id = await createContainer(client, spec, progress, false);
  await client.delete(`/containers/${old.Id}`, { force: true });
  progress.event(id, 'Recreated');
  return { Id, name, service: ctx.s.name, number, fresh: true, running: false };
}

/** The tar `PUT /containers/{id}/archive?path=/` takes: the files alone (extraction makes their directories, as for Compose). */
export function filesTar(files: InjectedFile[]): Buffer {
  const mtime = Math.floor(Date.now() / 1000);
  return tarBuffer(
    files.map((f) => ({
      header: {
        name: f.path.replace(/^\/+/, ''),
        type: 'file',
        mode: f.mode,
        uid: f.uid,
        gid: f.gid,
        mtime,
      } satisfies TarHeader,
      data: Buffer.from(f.content),
    })),
  );
}
