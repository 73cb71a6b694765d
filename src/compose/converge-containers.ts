// The project's containers as the engine knows them (listed once per
// command, by label) and the single-container steps that report progress.
import { ApiError, type Client } from '../client/client.js';
import type { Project } from './model.js';
import { L, projectFilter } from './labels.js';
import { ids, type Progress } from './progress.js';

/** An entry of `GET /containers/json`. */
export interface Summary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  Labels: Record<string, string>;
  [k: string]: unknown;
}

export const nameOf = (c: Summary): string => (c.Names?.[0] ?? '').replace(/^\//, '');
export const serviceOf = (c: Summary): string => c.Labels?.[L.service] ?? '';
export const numberOf = (c: Summary): number => Number(c.Labels?.[L.number] ?? 0);
export const isOneoff = (c: Summary): boolean => c.Labels?.[L.oneoff] === 'True';

const enc = encodeURIComponent;

/** All containers of the project (running or not), one request. */
export async function listContainers(client: Client, projectName: string, all = true): Promise<Summary[]> {
  return client.get<Summary[]>('/containers/json', {
    all: all || undefined,
    filters: projectFilter(projectName),
  });
}

/** Service containers (not one-off) of the given services (or all), sorted by service then number. */
export function serviceContainers(list: Summary[], services?: string[]): Summary[] {
  const set = services?.length ? new Set(services) : undefined;
  return list
    .filter((c) => !isOneoff(c) && (!set || set.has(serviceOf(c))))
    .sort((a, b) => serviceOf(a).localeCompare(serviceOf(b)) || numberOf(a) - numberOf(b));
}

/** Containers whose service is not in the model (Compose's orphans). */
export function orphans(project: Project, list: Summary[]): Summary[] {
  return list.filter(
    (c) => !isOneoff(c) && !project.services[serviceOf(c)] && !project.disabled_services?.[serviceOf(c)],
  );
}

export async function startContainer(
  client: Client,
  c: { Id: string; name: string },
  progress: Progress,
): Promise<void> {
  const id = ids.container(c.name);
  progress.event(id, 'Starting');
  try {
    await client.post(`/containers/${c.Id}/start`);
  } catch (e) {
    progress.event(id, 'Error', { error: true });
    throw e;
  }
  progress.event(id, 'Started');
}

export async function stopContainer(
  client: Client,
  c: Summary,
  timeout: number | undefined,
  progress: Progress,
): Promise<void> {
  const id = ids.container(nameOf(c));
  progress.event(id, 'Stopping');
  try {
    const res = await client.open('POST', `/containers/${c.Id}/stop`, { query: { t: timeout } });
    res.resume();
    if ((res.statusCode ?? 500) >= 400 && res.statusCode !== 304 && res.statusCode !== 404)
      throw new ApiError(res.statusCode ?? 500, `cannot stop container ${nameOf(c)}`);
  } catch (e) {
    progress.event(id, 'Error', { error: true });
    throw e;
  }
  progress.event(id, 'Stopped');
}

export async function removeContainer(
  client: Client,
  c: Summary,
  opts: { volumes?: boolean; force?: boolean },
  progress: Progress,
): Promise<void> {
  const id = ids.container(nameOf(c));
  progress.event(id, 'Removing');
  try {
    await client.delete(`/containers/${c.Id}`, {
      v: opts.volumes || undefined,
      force: opts.force || undefined,
    });
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) {
      progress.event(id, 'Error', { error: true });
      throw e;
    }
  }
  progress.event(id, 'Removed');
}

/** Stop then remove, as `down` and scale-down do. */
export async function stopAndRemove(
  client: Client,
  c: Summary,
  timeout: number | undefined,
  volumes: boolean,
  progress: Progress,
): Promise<void> {
  if (c.State === 'running' || c.State === 'paused' || c.State === 'restarting')
    await stopContainer(client, c, timeout, progress);
  await removeContainer(client, c, { volumes, force: true }, progress);
}

/** A service's stop timeout: -t wins, then stop_grace_period (seconds). */
export function stopTimeout(project: Project, c: Summary, flag: number | undefined): number | undefined {
  if (flag !== undefined) return flag;
  const grace = project.services[serviceOf(c)]?.stop_grace_period;
  if (!grace) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(grace);
  if (!m) return undefined;
  const mult = { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * mult);
}

export async function inspectContainer(client: Client, idOrName: string): Promise<any> {
  return client.get(`/containers/${enc(idOrName)}/json`);
}
