// Waiting on containers: depends_on conditions before a dependent starts,
// and `up --wait` (running and healthy) at the end.
import type { Client } from '../client/client.js';
import { ComposeError, type Project, type Service } from './model.js';
import { inspectContainer, listContainers, nameOf, serviceContainers } from './converge-containers.js';
import { ids, type Progress } from './progress.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const POLL_MS = 200;

/** Waits for every depends_on condition of `s` (dependencies were started before). */
export async function waitForDependencies(
  client: Client,
  project: Project,
  s: Service,
  progress: Progress,
): Promise<void> {
  const deps = Object.entries(s.depends_on ?? {}).filter(([, d]) => d.condition !== 'service_started');
  if (!deps.length) return;
  const list = await listContainers(client, project.name);
  await Promise.all(
    deps.map(async ([dep, d]) => {
      const containers = serviceContainers(list, [dep]);
      if (!containers.length) {
        if (!d.required) return;
        if (!project.services[dep]) return;
        throw new ComposeError(`service "${dep}" has no container to wait for`);
      }
      await Promise.all(
        containers.map((c) =>
          d.condition === 'service_healthy'
            ? waitForHealth(client, c.Id, nameOf(c), progress, 0)
            : waitForExit(client, c.Id, nameOf(c), dep, progress),
        ),
      );
    }),
  );
}

async function waitForHealth(
  client: Client,
  id: string,
  name: string,
  progress: Progress,
  timeoutMs: number,
): Promise<void> {
  const ev = ids.container(name);
  progress.event(ev, 'Waiting');
  const deadline = timeoutMs ? Date.now() + timeoutMs : Infinity;
  for (;;) {
    const c = await inspectContainer(client, id);
    const health = c.State?.Health?.Status as string | undefined;
    if (!c.Config?.Healthcheck || c.Config.Healthcheck.Test?.[0] === 'NONE' || health === undefined) {
      if (timeoutMs) {
        // --wait: a container without a healthcheck only has to run.
        if (c.State?.Running) return progress.event(ev, 'Healthy');
      } else {
        progress.event(ev, 'Error', { error: true });
        throw new ComposeError(`container ${name} has no healthcheck configured`);
      }
    } else if (health === 'healthy') return progress.event(ev, 'Healthy');
    else if (health === 'unhealthy') {
      progress.event(ev, 'Error', { error: true });
      throw new ComposeError(`dependency failed to start: container ${name} is unhealthy`);
    }
    if (c.State?.Status === 'exited' || c.State?.Status === 'dead') {
      progress.event(ev, 'Error', { error: true });
      throw new ComposeError(`container ${name} exited (${c.State.ExitCode})`);
    }
    if (Date.now() > deadline) throw new ComposeError(`timeout waiting for container ${name} to be healthy`);
    await sleep(POLL_MS);
  }
}

async function waitForExit(
  client: Client,
  id: string,
  name: string,
  service: string,
  progress: Progress,
): Promise<void> {
  const ev = ids.container(name);
  progress.event(ev, 'Waiting');
  // The wait endpoint answers when the container stops (or at once if it already has).
  const res: { StatusCode: number } = await client.post(`/containers/${id}/wait`);
  if (res.StatusCode !== 0) {
    progress.event(ev, 'Error', { error: true });
    throw new ComposeError(`service "${service}" didn't complete successfully: exit ${res.StatusCode}`);
  }
  progress.event(ev, 'Exited');
}

/** `up --wait`: every replica running, and healthy where it has a healthcheck. */
export async function waitHealthy(
  client: Client,
  replicas: { Id: string; name: string }[],
  timeoutMs: number,
  progress: Progress,
): Promise<void> {
  const all = Promise.all(
    replicas.map((r) => waitForHealth(client, r.Id, r.name, progress, timeoutMs || 24 * 3600_000)),
  );
  await all;
}
