// Test harness: a private berthd on a temp socket, data root and exec root,
// driven through the berth CLI and the real docker CLI, and torn down even
// when a test fails.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '../../src/client/client.js';
import { reapLeftovers, removeContainersViaApi, removeDirSync } from './teardown.js';

/** The repository root (tests run from dist/test/…). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BERTHD = path.join(ROOT, 'dist/berthd.mjs');
export const BERTH = path.join(ROOT, 'dist/berth.mjs');
/** The real docker CLI (v28): /usr/local/bin/docker, else the one on PATH. */
export const DOCKER = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestDaemon {
  dir: string;
  sock: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  proc: ChildProcess;
  client: Client;
  /** Runs the real docker CLI against this daemon. */
  docker(args: string[], opts?: { input?: string | Buffer; env?: Record<string, string> }): RunResult;
  /** Runs the berth CLI against this daemon. */
  berth(args: string[], opts?: { input?: string | Buffer; env?: Record<string, string> }): RunResult;
  /** stderr of berthd so far (for failure messages). */
  log(): string;
  /** SIGKILL (crash) or SIGTERM, then wait for exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts berthd again on the same paths (after kill). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<TestDaemon>();

/** Crash-time teardown for every daemon still alive: synchronous, so it works in 'exit' and signal handlers. */
function reapAll(): void {
  for (const d of live) {
    try {
      d.proc.kill('SIGKILL');
    } catch {
      /* gone */
    }
    reapLeftovers(d.dir);
    removeDirSync(d.dir);
  }
  live.clear();
}

let handlersInstalled = false;
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // A test file whose after() hooks never run (a test timed out, the runner
  // sends SIGTERM, someone presses ^C) must not leave daemons, conmons or
  // containers running on this shared machine.
  process.on('exit', reapAll);
  const signals: [NodeJS.Signals, number][] = [
    ['SIGTERM', 15],
    ['SIGINT', 2],
    ['SIGHUP', 1],
  ];
  for (const [sig, num] of signals)
    process.once(sig, () => {
      reapAll();
      process.exit(128 + num);
    });
}

/** How long one CLI command may run before the harness kills it. */
const CLI_TIMEOUT_MS = Number(process.env.BERTH_TEST_CLI_TIMEOUT_MS) || 120_000;

function result(r: SpawnSyncReturns<Buffer>, cmd: string[]): RunResult {
  let stderr = r.stderr?.toString() ?? '';
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ETIMEDOUT') stderr += `\n[harness] killed after ${CLI_TIMEOUT_MS / 1000}s: ${cmd.join(' ')}\n`;
  else if (err) stderr += `\n[harness] ${err.message}\n`;
  return { code: r.status ?? 128, stdout: r.stdout?.toString() ?? '', stderr };
}

export async function startDaemon(opts: { args?: string[]; config?: object } = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-test-'));
  const sock = path.join(dir, 'berth.sock');
  const dataRoot = path.join(dir, 'data');
  const execRoot = path.join(dir, 'exec');
  const logFile = path.join(dir, 'berthd.log');
  const args = [
    BERTHD,
    '-H',
    `unix://${sock}`,
    '--data-root',
    dataRoot,
    '--exec-root',
    execRoot,
    '--log-level',
    'debug',
  ];
  // Always an explicit, existing file: never the machine's /etc/berth/daemon.json
  // (berthd refuses an explicit --config-file that does not exist, as dockerd does).
  const cfgFile = path.join(dir, 'daemon.json');
  writeFileSync(cfgFile, JSON.stringify(opts.config ?? {}));
  args.push('--config-file', cfgFile);
  args.push(...(opts.args ?? []));

  const host = `unix://${sock}`;
  const baseEnv = {
    ...process.env,
    DOCKER_HOST: host,
    BERTH_HOST: host,
    DOCKER_CONFIG: path.join(dir, 'docker-config'),
  };
  const run = (cmd: string[], o: { input?: string | Buffer; env?: Record<string, string> } = {}): RunResult =>
    result(
      spawnSync(cmd[0], cmd.slice(1), {
        input: o.input,
        env: { ...baseEnv, ...o.env },
        maxBuffer: 1 << 30,
        timeout: CLI_TIMEOUT_MS,
        // The docker and berth CLIs forward SIGTERM to the container (sig-proxy),
        // so only SIGKILL reliably ends a hung command.
        killSignal: 'SIGKILL',
      }),
      cmd,
    );

  const d: TestDaemon = {
    dir,
    sock,
    host,
    dataRoot,
    execRoot,
    proc: undefined as unknown as ChildProcess,
    client: new Client(host),
    docker: (a, o) => run([DOCKER, ...a], o),
    berth: (a, o) => run([process.execPath, BERTH, ...a], o),
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async kill(signal = 'SIGKILL') {
      const p = d.proc;
      if (p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill(signal);
      });
    },
    async restart() {
      await d.kill('SIGTERM');
      d.proc = await launch(args, logFile, sock);
    },
    async stop() {
      // Containers outlive berthd (conmon), so remove them while it still answers.
      if (d.proc.exitCode === null && d.proc.signalCode === null) await removeContainersViaApi(d.client);
      const stopped = d.kill('SIGTERM').then(() => true);
      const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref());
      if (!(await Promise.race([stopped, timeout]))) await d.kill('SIGKILL');
      live.delete(d);
      reapLeftovers(dir);
      await cleanupDir(dir, dataRoot, execRoot);
    },
  };
  installHandlers();
  live.add(d); // before launch: a failed start is cleaned up too
  try {
    d.proc = await launch(args, logFile, sock);
  } catch (e) {
    live.delete(d);
    reapLeftovers(dir);
    removeDirSync(dir);
    throw e;
  }
  return d;
}

async function launch(args: string[], logFile: string, sock: string): Promise<ChildProcess> {
  const fs = await import('node:fs');
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(process.execPath, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const client = new Client(`unix://${sock}`);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`berthd exited early:\n${fs.readFileSync(logFile, 'utf8')}`);
    try {
      const res = await client.open('GET', '/_ping');
      res.resume();
      if (res.statusCode === 200) return proc;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`berthd did not answer within 15s:\n${fs.readFileSync(logFile, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Unmounts anything left under the test dir (deepest first), then removes it. */
export async function cleanupDir(dir: string, ...roots: string[]): Promise<void> {
  void roots;
  removeDirSync(dir);
}
