// CLI start-up benchmark: median wall time of `berth version`, `berth ps`,
// `berth images` (through the bin/berth launcher) against `docker version`,
// `docker ps`, `docker images`, all talking to the same private berthd.
// Usage: node scripts/build.mjs && node bench/cli-startup.mjs [runs] [--instructions]
// Wall times swing with the machine's load; --instructions adds valgrind
// (callgrind) instruction counts, which do not, for berth and a bare
// `node -e 0` (docker's Go binary cannot run under valgrind here).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { berthdArgs } from './lib/engines.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);
const instructions = process.argv.includes('--instructions');
const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-'));
const sock = path.join(dir, 'berth.sock');
writeFileSync(path.join(dir, 'daemon.json'), '{}');
const log = openSync(path.join(dir, 'berthd.log'), 'a');
const daemon = spawn(process.execPath, berthdArgs(root, dir, sock, path.join(dir, 'daemon.json')), {
  stdio: ['ignore', log, log],
});
closeSync(log);

async function waitForSocket() {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise((r) => {
      const c = net.connect(sock, () => (c.destroy(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('berthd did not start');
}

function median(cmd, args) {
  const env = {
    ...process.env,
    DOCKER_HOST: `unix://${sock}`,
    BERTH_HOST: `unix://${sock}`,
    DOCKER_CONFIG: path.join(dir, 'docker-config'),
  };
  const times = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) return { ms: NaN, error: r.stderr.toString().trim().split('\n')[0] };
    if (i > 0) times.push(ms); // the first run warms the page cache
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] };
}

try {
  await waitForSocket();
  const berth = path.join(root, 'bin/berth');
  const rows = [];
  for (const sub of [['version'], ['ps'], ['images']]) {
    const b = median(berth, sub);
    const d = median('docker', sub);
    rows.push({
      command: sub.join(' '),
      berth_ms: b.ms.toFixed(1),
      docker_ms: d.ms.toFixed(1),
      ratio: (b.ms / d.ms).toFixed(2),
      note: b.error ?? d.error ?? '',
    });
  }
  if (instructions) {
    const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, BERTH_HOST: `unix://${sock}` };
    delete env.NODE_EXTRA_CA_CERTS; // as the launcher does
    const ir = (args) => {
      const r = spawnSync(
        'valgrind',
        ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...args],
        { env, encoding: 'utf8' },
      );
      const m = /Collected : (\d+)/.exec(r.stderr ?? '');
      return m
        ? `${(Number(m[1]) / 1e6).toFixed(1)}M`
        : `n/a (${(r.error?.message ?? r.stderr ?? '').split('\n')[0]})`;
    };
    const loader = path.join(root, 'bin/berth-loader.cjs');
    ir([loader, 'version']); // writes the code cache if missing
    console.table([
      { run: 'node -e 0', instructions: ir(['-e', '0']) },
      ...['version', 'ps', 'images'].map((c) => ({
        run: `berth ${c} (code-cached)`,
        instructions: ir([loader, c]),
      })),
      {
        run: 'berth version (dist/berth.mjs)',
        instructions: ir([path.join(root, 'dist/berth.mjs'), 'version']),
      },
    ]);
  }
  const node0 = median(process.execPath, ['-e', '0']);
  console.table(rows);
  console.log(
    `node -e 0 (with this environment): ${node0.ms.toFixed(1)} ms; runs per command: ${runs}; load average: ${os.loadavg()[0].toFixed(2)}`,
  );
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
