// Compose: `up -d` of a 10-service project (5 in --quick) (shared network, a volume,
// depends_on chains), a no-op `up -d`, and `down -t 1`. The dockerd column is
// docker-compose 1.29 (Debian's) on dockerd, the berthd column `berth compose`
// on berthd (the comparison), and the third column docker-compose
// 1.29 on berthd — the same client on both engines.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { api } from '../lib/api.mjs';
import { cliFor } from '../lib/engines.mjs';
import { composeFile } from '../lib/compose-project.mjs';

export const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const SUBNETS = { dockerd: '10.126.3.0/24', berthd: '10.126.4.0/24' };
const services = (ctx) => (ctx.quick ? 5 : 10);
const PROJECT = `bc${process.pid}`;

const projectFilter = (extra = {}) =>
  encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`], ...extra }));

/** IDs of the project's containers (running ones unless `all`), through the Engine API. */
async function projectContainers(eng, all) {
  const list = await api(eng.host, 'GET', `/containers/json?all=${all ? 1 : 0}&filters=${projectFilter()}`);
  return list.map((c) => c.Id).sort();
}

/** Removes whatever a failed round left: containers, the network, the volume. */
async function purge(eng) {
  for (const id of await projectContainers(eng, true).catch(() => []))
    await api(eng.host, 'DELETE', `/containers/${id}?force=1&v=1`).catch(() => undefined);
  await api(eng.host, 'DELETE', `/networks/${PROJECT}_shared`).catch(() => undefined);
  await api(eng.host, 'DELETE', `/volumes/${PROJECT}_data`).catch(() => undefined);
}

export const compose10 = {
  id: 'compose',
  warmup: (ctx) => !ctx.quick,
  berthCli: true,
  runs: { quick: 1, full: 5 },
  clients: {
    dockerd: 'docker-compose 1.29 on dockerd',
    berthd: 'berth compose on berthd',
    berthCli: 'docker-compose 1.29 on berthd',
  },
  requires: () =>
    existsSync(DOCKER_COMPOSE) ? null : `${DOCKER_COMPOSE} is missing (apt-get install docker-compose)`,
  metrics: [
    { id: 'compose-up', title: (ctx) => `compose up -d, ${services(ctx)} services`, unit: 's' },
    { id: 'compose-noop', title: 'compose up -d, no change', unit: 's' },
    { id: 'compose-down', title: 'compose down -t 1', unit: 's' },
  ],
  setup(eng, ctx) {
    const dir = path.join(ctx.tmp, `compose-${eng.name}`);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'docker-compose.yml');
    writeFileSync(file, composeFile({ subnet: SUBNETS[eng.name], services: services(ctx) }));
    const args = ['-p', PROJECT, '-f', file];
    const dc = cliFor(dir, eng.host, DOCKER_COMPOSE, args);
    ctx.compose ??= {};
    if (eng.name === 'dockerd') ctx.compose.dockerd = dc;
    else {
      ctx.compose.berthd = cliFor(dir, eng.host, path.join(ctx.root, 'bin/berth'), ['compose', ...args]);
      ctx.compose.berthCli = dc;
    }
  },
  async measure(eng, ctx, cli, round, lane) {
    const client = ctx.compose[lane];
    try {
      const up = client.timed(['up', '-d']);
      const running = await projectContainers(eng, false);
      if (running.length !== services(ctx))
        throw new Error(`up -d: ${running.length} of ${services(ctx)} running`);
      const noop = client.timed(['up', '-d']);
      const after = await projectContainers(eng, false);
      if (after.join() !== running.join()) throw new Error('no-op up -d recreated or stopped containers');
      const down = client.timed(['down', '-t', '1']);
      const left = await projectContainers(eng, true);
      if (left.length) throw new Error(`down left ${left.length} containers`);
      return { 'compose-up': up / 1000, 'compose-noop': noop / 1000, 'compose-down': down / 1000 };
    } finally {
      await purge(eng); // the volume survives `down`: the next round starts from nothing
    }
  },
  teardown: (eng) => purge(eng),
};
