// Networking throughput: a 100 MiB (32 in --quick) download from busybox httpd in a
// container, (1) through a port published on 127.0.0.1, fetched by a bounded
// Node client on the host, and (2) from another container over a
// user-defined network, by name (embedded DNS), with busybox wget.
import http from 'node:http';
import { api, removeContainers } from '../lib/api.mjs';

const mib = (ctx) => (ctx.quick ? 32 : 100);
const serve = (ctx) => [
  'sh',
  '-c',
  `mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=${mib(ctx)} 2>/dev/null && exec httpd -f -p 80 -h /www`,
];
// Non-overlapping with docker0, with each other and with the engines' bridges.
const SUBNETS = { dockerd: '10.126.1.0/24', berthd: '10.126.2.0/24' };

/** GETs url, counting bytes; rejects on error, short body or after 120 s. Resolves milliseconds. */
function download(url, bytes) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.get(url, (res) => {
      let n = 0;
      res.on('data', (c) => (n += c.length));
      res.on('end', () =>
        n === bytes
          ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
          : reject(new Error(`got ${n} of ${bytes} bytes`)),
      );
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function waitServing(url) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const req = http.request(url, { method: 'HEAD' }, (res) => (res.resume(), r(res.statusCode === 200)));
      req.on('error', () => r(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never answered`);
}

export const publishedPort = {
  id: 'port-throughput',
  title: (ctx) => `published port 127.0.0.1, ${mib(ctx)} MiB GET`,
  unit: 'MiB/s',
  lowerIsBetter: false,
  runs: { quick: 2, full: 5 },
  async setup(eng, ctx) {
    const name = `pp${process.pid}${eng.name}`;
    ctx.portServers ??= {};
    ctx.portServers[eng.name] = name;
    await eng.cli.okAsync(['run', '-d', '--name', name, '-p', '127.0.0.1::80', 'busybox', ...serve(ctx)]);
    const port = eng.cli.ok(['port', name, '80/tcp']).trim().split('\n')[0].split(':').pop();
    ctx.ports ??= {};
    ctx.ports[eng.name] = `http://127.0.0.1:${port}/big`;
    await waitServing(ctx.ports[eng.name]);
  },
  // Scenario containers go with their scenario: the memory scenarios count only their own.
  teardown: (eng, ctx) => removeContainers(eng.host, [ctx.portServers?.[eng.name]].filter(Boolean)),
  async measure(eng, ctx) {
    return mib(ctx) / ((await download(ctx.ports[eng.name], mib(ctx) * 1024 * 1024)) / 1000);
  },
};

export const containerToContainer = {
  id: 'c2c-throughput',
  title: (ctx) => `container to container (user network), ${mib(ctx)} MiB wget`,
  unit: 'MiB/s',
  lowerIsBetter: false,
  runs: { quick: 2, full: 5 },
  async setup(eng, ctx) {
    const net = `bnet${process.pid}${eng.name}`;
    const server = `srv${process.pid}${eng.name}`;
    const client = `cli${process.pid}${eng.name}`;
    ctx.c2c ??= {};
    ctx.c2c[eng.name] = { server, client, net }; // before creating: a failed set-up is still torn down
    await eng.cli.okAsync(['network', 'create', '--subnet', SUBNETS[eng.name], net]);
    await Promise.all([
      eng.cli.okAsync(['run', '-d', '--name', server, '--network', net, 'busybox', ...serve(ctx)]),
      eng.cli.okAsync(['run', '-d', '--name', client, '--network', net, 'busybox', 'sleep', '100000']),
    ]);
    const spider = ['exec', client, 'wget', '-q', '--spider', `http://${server}/big`];
    for (let i = 0; i < 100; i++) {
      if ((await eng.cli.async(spider)).code === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${client} cannot reach http://${server}/big`);
  },
  async teardown(eng, ctx) {
    const { server, client, net } = ctx.c2c?.[eng.name] ?? {};
    if (!net) return;
    await removeContainers(eng.host, [server, client]);
    await api(eng.host, 'DELETE', `/networks/${net}`).catch(() => undefined);
  },
  measure(eng, ctx, cli) {
    const { server, client } = ctx.c2c[eng.name];
    // Timed through `exec`, so its fixed cost (≈ the exec scenario) is included; 100 MiB dwarfs it.
    const ms = cli.timed(['exec', client, 'wget', '-q', '-O', '/dev/null', `http://${server}/big`]);
    return mib(ctx) / (ms / 1000);
  },
};
