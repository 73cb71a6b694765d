#!/usr/bin/env node
// Networking benchmark: HTTP throughput through a published port (iptables
// DNAT) on 127.0.0.1 and on the host's address, the same through a userland
// TCP proxy in Node (the design berth did not pick), container to container
// over a user network, embedded DNS latency, and `network connect` time.
// With DOCKERD_HOST=unix:///path.sock the same container-side measurements
// run against that dockerd too (started by you on a private socket).
// Run after `node scripts/build.mjs`:   node bench/network.mjs [MiB]
/* global process, performance, console, fetch */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { startDaemon, DOCKER } = await import(path.join(root, 'dist/test/support/daemon.js'));
const { ensureBusybox } = await import(path.join(root, 'dist/test/support/images.js'));
const { buildQuery } = await import(path.join(root, 'dist/src/network/dns-packet.js'));

const MIB = Number(process.argv[2] ?? 256);
const suffix = Math.random().toString(36).slice(2, 7);
const hostIp = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal && !/^10\.8[789]\./.test(a.address))?.address;

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '0.0.0.0', r));
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}

/** MiB/s of one HTTP download, best of 3. */
async function throughput(url) {
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    let n = 0;
    for await (const chunk of res.body) n += chunk.length;
    const s = (performance.now() - t0) / 1000;
    if (n < MIB * 1024 * 1024) throw new Error(`short read from ${url}: ${n}`);
    best = Math.max(best, n / 1024 / 1024 / s);
  }
  return best;
}

/** A Node TCP relay, as a userland proxy in berthd would be. */
function userlandProxy(target, port) {
  const srv = net.createServer((c) => {
    const up = net.connect(target.port, target.host);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  return new Promise((r) => srv.listen(port, '127.0.0.1', () => r(srv)));
}

async function dnsLatency(server, name, n = 500) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, r));
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve) => {
      sock.once('message', resolve);
      sock.send(buildQuery(i & 0xffff, name), 53, server);
    });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  sock.close();
  times.sort((a, b) => a - b);
  return { median: times[n >> 1], p99: times[Math.floor(n * 0.99)] };
}

/** The container-side numbers for one engine (`cli` runs its docker CLI). */
async function engineRun(label, cli) {
  const ok = (args) => {
    const r = cli(args);
    if (r.code !== 0) throw new Error(`${label}: docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const netName = `bnet${suffix}`;
  const out = { engine: label };
  ok(['network', 'create', netName]);
  try {
    const port = await freePort();
    const web = `bweb${suffix}`;
    ok(['run', '-d', '--name', web, '--network', netName, '-p', `${port}:80`, 'busybox', 'sh', '-c',
      `mkdir /w && dd if=/dev/zero of=/w/big bs=1M count=${MIB} 2>/dev/null && exec httpd -f -p 80 -h /w`]);
    for (let i = 0; i < 100; i++) {
      const r = cli(['exec', web, 'ls', '-l', '/w/big']);
      if (r.code === 0 && r.stdout.includes(String(MIB * 1024 * 1024))) break;
      await new Promise((r2) => setTimeout(r2, 100));
    }
    out.loopbackMiBs = await throughput(`http://127.0.0.1:${port}/big`);
    if (hostIp) out.hostAddrMiBs = await throughput(`http://${hostIp}:${port}/big`);
    const t0 = performance.now();
    ok(['run', '--rm', '--network', netName, 'busybox', 'wget', '-qO', '/dev/null', `http://${web}/big`]);
    out.containerToContainerMiBs = MIB / ((performance.now() - t0) / 1000);
    const cli2 = `bcli${suffix}`;
    ok(['run', '-d', '--name', cli2, 'busybox', 'sleep', '300']);
    const t1 = performance.now();
    ok(['network', 'connect', netName, cli2]);
    out.connectMs = performance.now() - t1;
    const gw = ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', netName]);
    out.containerIp = ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${netName}").IPAddress}}`, web]);
    out.gateway = gw;
    ok(['rm', '-f', web, cli2]);
    out.port = port;
  } finally {
    cli(['network', 'rm', netName]);
  }
  return out;
}

const d = await startDaemon();
const results = [];
try {
  await ensureBusybox(d);
  const b = await engineRun('berth', (a) => d.docker(a));
  results.push(b);

  // Same download through a userland proxy (a relay in the engine process) to compare designs.
  const port = await freePort();
  const web = `bweb2${suffix}`;
  d.docker(['run', '-d', '--name', web, 'busybox', 'sh', '-c', `mkdir /w && dd if=/dev/zero of=/w/big bs=1M count=${MIB} 2>/dev/null && exec httpd -f -p 80 -h /w`]);
  await new Promise((r) => setTimeout(r, 1500));
  const ip = d.docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', web]).stdout.trim();
  const proxy = await userlandProxy({ host: ip, port: 80 }, port);
  results.push({ engine: 'userland proxy (Node, for comparison)', loopbackMiBs: await throughput(`http://127.0.0.1:${port}/big`) });
  proxy.close();
  d.docker(['rm', '-f', web]);

  // Embedded DNS, queried from the host at a user network's gateway.
  const n = `bdns${suffix}`;
  d.docker(['network', 'create', n]);
  d.docker(['run', '-d', '--name', `bd${suffix}`, '--network', n, 'busybox', 'sleep', '120']);
  const gw = d.docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', n]).stdout.trim();
  results.push({ engine: 'berth embedded DNS (ms)', ...(await dnsLatency(gw, `bd${suffix}`)) });
  d.docker(['rm', '-f', `bd${suffix}`]);
  d.docker(['network', 'rm', n]);

  if (process.env.DOCKERD_HOST) {
    const cli = (a) => {
      const r = spawnSync(DOCKER, ['-H', process.env.DOCKERD_HOST, ...a], { encoding: 'utf8', timeout: 300_000 });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    };
    results.push(await engineRun('dockerd', cli));
  }
} finally {
  await d.stop();
}
const fmt = (v) => (typeof v === 'number' ? v.toFixed(v < 10 ? 3 : 0) : v);
for (const r of results) console.log(Object.entries(r).map(([k, v]) => `${k}=${fmt(v)}`).join('  '));
