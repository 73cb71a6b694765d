// The two engines under test, each private to this run: a dockerd (with the
// containerd it starts under its own exec root) on a bridge we create, and a
// berthd, both with runc. Each engine object drives its daemon through the
// same real docker CLI; berthd also through the berth CLI.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  run,
  runAsync,
  must,
  pidsMatching,
  killPid,
  ppid,
  pids,
  cmdline,
  sleep,
  settlesWithin,
} from './proc.mjs';
import { api } from './api.mjs';
import { addBridge, deleteBridge, linkExists } from './netclean.mjs';

export const DOCKER = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
export const DOCKERD_BRIDGE = { name: 'bbench0', cidr: '10.123.0.1/24' };
export const BERTHD_BRIDGE = { name: 'bbench1', cidr: '10.124.0.1/24' };

function waitSocket(sock, child, ms) {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      if (child.exitCode !== null || child.signalCode)
        return reject(new Error(`exited (${child.exitCode ?? child.signalCode})`));
      const c = net.connect(sock, () => {
        c.destroy();
        resolve();
      });
      c.on('error', () =>
        Date.now() > end ? reject(new Error('socket never answered')) : setTimeout(tryOnce, 100),
      );
    };
    tryOnce();
  });
}

function spawnDaemon(cmd, args, logFile, env) {
  const log = openSync(logFile, 'a');
  // Its own process group: a Ctrl-C in the terminal reaches the bench, which
  // stops the daemon in order (berthd first removes its containers).
  const child = spawn(cmd, args, { stdio: ['ignore', log, log], env, detached: true });
  closeSync(log);
  const exited = new Promise((r) => child.once('exit', r));
  return { child, exited };
}

/**
 * What a failed command said (stderr, else stdout) on one line: the first
 * line naming an error (a Node stack trace ends in useless lines), else the last lines.
 */
export function failure(r) {
  const lines = (r.stderr.trim() || r.stdout.trim()).split('\n').map((l) => l.trim());
  const named = lines.find((l) => /^(\w*Error\b|Error response|error:|ERROR:)/i.test(l));
  return (named ?? lines.slice(-3).join(' | ')).slice(0, 300);
}

/** The CLI runner shared by both engines: the real docker CLI, its own config dir. */
export function cliFor(dir, host, bin, baseArgs = []) {
  const env = {
    ...process.env,
    DOCKER_HOST: host,
    BERTH_HOST: host,
    DOCKER_CONFIG: path.join(dir, 'docker-config'),
  };
  delete env.DOCKER_CONTEXT;
  if (bin !== DOCKER) delete env.NODE_EXTRA_CA_CERTS; // as bin/berth does
  const cli = (args, opts = {}) =>
    run(bin, [...baseArgs, ...args], { ...opts, env: { ...env, ...opts.env } });
  /** Runs and returns wall milliseconds; throws when the command fails. */
  cli.timed = (args, opts) => {
    const r = cli(args, opts);
    if (r.code !== 0)
      throw new Error(`${path.basename(bin)} ${args.join(' ')} → exit ${r.code}: ${failure(r)}`);
    return r.ms;
  };
  cli.ok = (args, opts) => {
    const r = cli(args, opts);
    if (r.code !== 0)
      throw new Error(`${path.basename(bin)} ${args.join(' ')} → exit ${r.code}: ${failure(r)}`);
    return r.stdout;
  };
  /** As cli() without blocking: untimed set-up both engines do side by side. */
  cli.async = (args, opts = {}) =>
    runAsync(bin, [...baseArgs, ...args], { ...opts, env: { ...env, ...opts.env } });
  cli.okAsync = async (args, opts) => {
    const r = await cli.async(args, opts);
    if (r.code !== 0)
      throw new Error(`${path.basename(bin)} ${args.join(' ')} → exit ${r.code}: ${failure(r)}`);
    return r.stdout;
  };
  cli.env = env;
  return cli;
}

async function stopChild(d, ms) {
  if (d.child.exitCode !== null || d.child.signalCode) return;
  killPid(d.child.pid, 'SIGTERM');
  if (!(await settlesWithin(d.exited, ms))) {
    killPid(d.child.pid, 'SIGKILL');
    await d.exited;
  }
}

/**
 * Re-creates an engine's bridge when something outside this run deleted it
 * (seen on the shared machine: another process's clean-up), so the rest of
 * the run still measures. Returns a note for the results, or null.
 */
export function guardBridges() {
  const notes = [];
  for (const b of [DOCKERD_BRIDGE, BERTHD_BRIDGE])
    if (!linkExists(b.name)) {
      addBridge(b.name, b.cidr);
      notes.push(`bridge ${b.name} was deleted by another process; re-created`);
    }
  return notes;
}

export async function startDockerd(dir, root) {
  // The same command line as the differential tests' private dockerd (built into dist/).
  const { privateDockerdArgs, dockerdConfigPath } = await import(
    path.join(root, 'dist/test/support/dockerd-args.js')
  );
  mkdirSync(dir, { recursive: true });
  addBridge(DOCKERD_BRIDGE.name, DOCKERD_BRIDGE.cidr);
  const sock = path.join(dir, 'd.sock');
  writeFileSync(dockerdConfigPath(dir), '{}');
  // No --containerd: with no system containerd socket dockerd starts its own
  // under <exec-root>/containerd and stops it on shutdown.
  const d = spawnDaemon(
    'dockerd',
    privateDockerdArgs(dir, sock, DOCKERD_BRIDGE.name, [
      '--default-address-pool',
      'base=10.125.0.0/16,size=24',
      '--default-runtime',
      'runc',
    ]),
    path.join(dir, 'dockerd.log'),
  );
  const eng = {
    name: 'dockerd',
    dir,
    host: `unix://${sock}`,
    pid: d.child.pid,
    cli: cliFor(dir, `unix://${sock}`, DOCKER),
    /** dockerd plus its containerd: together they are what berthd replaces. */
    daemonPids() {
      return [
        d.child.pid,
        ...pids().filter((p) => ppid(p) === d.child.pid && cmdline(p).startsWith('containerd ')),
      ];
    },
    /** One containerd-shim per running container, as dockerd 20.10 runs them. */
    monitorPids() {
      return pidsMatching('containerd-shim').filter((p) => cmdline(p).includes(dir + '/'));
    },
    async stop() {
      // Running containers would hold dockerd's shutdown for their stop timeout.
      await removeAll(eng);
      await stopChild(d, 40_000);
      // containerd and shims normally exit with dockerd; anything left under our dir goes by PID.
      for (const p of pidsMatching(dir + '/')) killPid(p);
      deleteBridge(DOCKERD_BRIDGE.name);
    },
    log: () => readLog(path.join(dir, 'dockerd.log')),
  };
  try {
    await waitSocket(sock, d.child, 60_000);
    await waitPing(eng);
  } catch (e) {
    await eng.stop();
    throw new Error(`dockerd did not start: ${e.message}\n${eng.log()}`);
  }
  return eng;
}

/** berthd's command line: its own socket, data and exec roots under `dir`, a config file. */
export function berthdArgs(root, dir, sock, cfg) {
  return [
    path.join(root, 'dist/berthd.mjs'),
    '-H',
    `unix://${sock}`,
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--config-file',
    cfg,
    '--log-level',
    'warn',
  ];
}

export async function startBerthd(dir, root) {
  mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, 'b.sock');
  const cfg = path.join(dir, 'daemon.json');
  writeFileSync(cfg, JSON.stringify({ bridge: BERTHD_BRIDGE.name, bip: BERTHD_BRIDGE.cidr }));
  const d = spawnDaemon(process.execPath, berthdArgs(root, dir, sock, cfg), path.join(dir, 'berthd.log'), {
    ...process.env,
    NODE_EXTRA_CA_CERTS: '',
  });
  const host = `unix://${sock}`;
  const eng = {
    name: 'berthd',
    dir,
    host,
    pid: d.child.pid,
    cli: cliFor(dir, host, DOCKER),
    berthCli: cliFor(dir, host, path.join(root, 'bin/berth')),
    daemonPids: () => [d.child.pid],
    /** One conmon per running container. */
    monitorPids() {
      return pidsMatching('conmon')
        .filter((p) => cmdline(p).startsWith('conmon') || cmdline(p).includes('/conmon '))
        .filter((p) => cmdline(p).includes(dir + '/'));
    },
    async stop() {
      // Containers outlive berthd by design: remove them first, then stop it.
      await removeAll(eng);
      await stopChild(d, 20_000);
      for (const p of pidsMatching(dir + '/')) killPid(p);
      deleteBridge(BERTHD_BRIDGE.name);
      forgetOwnerNotes(dir);
    },
    log: () => readLog(path.join(dir, 'berthd.log')),
  };
  try {
    await waitSocket(sock, d.child, 60_000);
    await waitPing(eng);
  } catch (e) {
    await eng.stop();
    throw new Error(`berthd did not start: ${e.message}\n${eng.log()}`);
  }
  return eng;
}

/**
 * berthd notes its bridges in /run/berth-net-owners so a later berthd can reap
 * them once the data root is gone; ours is removed with the temp dir, so a
 * note left by an unclean stop would make the next berthd (any run's) delete
 * a bbench1 that a later bench run is using. We remove our own notes only.
 */
function forgetOwnerNotes(dir) {
  const notes = '/run/berth-net-owners';
  let files = [];
  try {
    files = readdirSync(notes).filter((f) => f.endsWith('.json'));
  } catch {
    return;
  }
  for (const f of files) {
    try {
      const note = JSON.parse(readFileSync(path.join(notes, f), 'utf8'));
      if (typeof note.dataRoot === 'string' && note.dataRoot.startsWith(dir + '/'))
        rmSync(path.join(notes, f), { force: true });
    } catch {
      /* unreadable or gone: not ours to judge */
    }
  }
}

async function waitPing(eng) {
  for (let i = 0; i < 300; i++) {
    if ((await api(eng.host, 'GET', '/_ping').catch(() => undefined)) === 'OK') return;
    await sleep(100);
  }
  throw new Error('/_ping never answered OK');
}

/**
 * Force-removes every container of an engine (all at once, through the API);
 * gives up after two minutes, so a hung daemon cannot hold the teardown
 * (what is left then goes by PID and unmount).
 */
async function removeAll(eng) {
  const removal = (async () => {
    const list = await api(eng.host, 'GET', '/containers/json?all=1').catch(() => []);
    await Promise.all(
      (Array.isArray(list) ? list : []).map((c) =>
        api(eng.host, 'DELETE', `/containers/${c.Id}?force=1&v=1`).catch(() => undefined),
      ),
    );
  })();
  await settlesWithin(removal, 120_000);
}

function readLog(f) {
  try {
    return readFileSync(f, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

/** Server version strings, for the machine description. */
export function engineVersion(eng) {
  const r = eng.cli(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})']);
  return r.code === 0 ? r.stdout.trim() : 'unknown';
}

export { must };
