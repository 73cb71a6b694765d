// The Runtime driver: OCI bundles run by runc (or crun) under conmon.
//
// Layout under the exec root:
//   runc/                    the OCI runtime's state (--root)
//   containers/<id>/         bundle: config.json, attach, ctl, pidfile, conmon.pid, oom
//                            (<id> is shortened to 12 chars when the attach socket
//                             path would not fit in a unix socket address)
//   exits/<id>               exit status written by conmon
//   x/<exec-id>/             one directory per exec session (process.json, attach, ctl)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  constants as fsc,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Conflict, InvalidArgument, NotFound, SystemError } from '../api/errors.js';
import { connectAttach } from './attach.js';
import { ALL_CAPS } from './caps.js';
import { cgroupPathsFor, cgroupPathsOfPid, cgroupPids, isCgroup2Only, CGROUP_ROOT } from './cgroups.js';
import { runtimeErrorText, spawnConmon, type ConmonHandle } from './conmon.js';
import { ExitWatcher, exitFileOf, readExitFile } from './exits.js';
import { chooseRuntime, findInitBinary, type RuntimeChoice } from './probe.js';
import { hostHardLimits } from './rlimits.js';
import { buildSpec, serializeSpec, type OciSpec, type SpecHostFacts } from './spec.js';
import { readStats } from './stats.js';
import type {
  AttachStreams,
  ContainerRunSpec,
  ExecProcess,
  ExecSpec,
  ExitStatus,
  Runtime,
  RuntimeState,
  Stats,
} from './types.js';
import { resolveUser } from './user.js';

const run = promisify(execFile);
const SUN_PATH_MAX = 107;
const SYNC_TIMEOUT_MS = 60_000;

export interface OciRuntimeOptions {
  execRoot: string;
  /** A resolved runtime (probe.chooseRuntime); default: runc, or crun on pure cgroup v2. */
  runtime?: RuntimeChoice;
  /** cgroupsPath parent; containers get `<parent>/<id>`. */
  cgroupParent?: string;
  /** Static init for --init (default: tini-static/catatonit if installed). */
  initBinary?: string;
}

/** Exit code Docker gives a container whose process could not be started. */
export function exitCodeForStartError(message: string): number | undefined {
  if (
    /executable file not found|no such file or directory|system cannot find the file specified/i.test(message)
  )
    return 127;
  if (/permission denied/i.test(message)) return 126;
  return undefined;
}

/** moby's translateContainerdStartErr: "not found"/EACCES are the user's fault (400). */
function startError(prefix: string, raw: string): Error {
  const msg = `${prefix}: ${runtimeErrorText(raw) || 'unknown error'}: unknown`;
  return exitCodeForStartError(msg) !== undefined ? new InvalidArgument(msg) : new SystemError(msg);
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new SystemError(`timed out waiting for ${what}`)), SYNC_TIMEOUT_MS);
    }),
  ]);
}

/** Alive and not a zombie (an orphaned monitor may wait a while to be reaped by PID 1). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function writeAtomic(file: string, data: string) {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Writes a resize request to conmon's control FIFO. */
function writeCtl(dir: string, line: string) {
  const ctl = path.join(dir, 'ctl');
  if (!existsSync(ctl)) throw new Conflict('no control channel: the process is not running');
  // conmon keeps the read end open, so a non-blocking open succeeds while it lives.
  const fd = openWriteNonBlock(ctl);
  try {
    writeFileSync(fd, line);
  } finally {
    closeFd(fd);
  }
}

const openWriteNonBlock = (p: string) => openSync(p, fsc.O_WRONLY | fsc.O_NONBLOCK);
const closeFd = (fd: number) => closeSync(fd);

export class OciRuntime implements Runtime {
  readonly name: string;
  readonly runtimePath: string;
  readonly root: string;
  readonly exitDir: string;
  private readonly execRoot: string;
  private readonly cgroupParent: string;
  private readonly facts: SpecHostFacts;
  private readonly exits: ExitWatcher;

  constructor(opts: OciRuntimeOptions) {
    const choice = opts.runtime ?? chooseRuntime();
    this.name = choice.name;
    this.runtimePath = choice.path;
    this.execRoot = path.resolve(opts.execRoot);
    this.root = path.join(this.execRoot, 'runc');
    this.exitDir = path.join(this.execRoot, 'exits');
    this.cgroupParent = opts.cgroupParent ?? '/berth';
    for (const d of [
      this.root,
      this.exitDir,
      path.join(this.execRoot, 'containers'),
      path.join(this.execRoot, 'x'),
    ])
      mkdirSync(d, { recursive: true });
    this.facts = {
      hostHard: hostHardLimits(),
      initBinary: opts.initBinary ?? findInitBinary(),
      swapAccounting: isCgroup2Only()
        ? existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers')) // memory.swap.max exists per cgroup on v2
        : existsSync(path.join(CGROUP_ROOT, 'memory', 'memory.memsw.limit_in_bytes')),
      cgroupParent: this.cgroupParent,
    };
    this.exits = new ExitWatcher(this.exitDir);
  }

  /** The bundle directory of a container (its attach socket must fit in sun_path). */
  bundleDir(id: string): string {
    const full = path.join(this.execRoot, 'containers', id);
    if (Buffer.byteLength(path.join(full, 'attach')) <= SUN_PATH_MAX) return full;
    const short = path.join(this.execRoot, 'containers', id.slice(0, 12));
    if (Buffer.byteLength(path.join(short, 'attach')) > SUN_PATH_MAX)
      throw new SystemError(`exec root ${this.execRoot} is too long for unix sockets`);
    return short;
  }

  /** The runtime binary and state root a container was created with (`ContainerRunSpec.runtime`). */
  private binaryOf(id: string): { path: string; root: string } {
    try {
      const r = JSON.parse(readFileSync(path.join(this.bundleDir(id), 'runtime.json'), 'utf8')) as {
        path: string;
        root: string;
      };
      if (r.path && r.root) return r;
    } catch {
      /* the default runtime */
    }
    return { path: this.runtimePath, root: this.root };
  }

  private binaryFor(choice: RuntimeChoice | undefined): { path: string; root: string } {
    if (!choice || choice.path === this.runtimePath) return { path: this.runtimePath, root: this.root };
    return { path: choice.path, root: path.join(this.execRoot, 'runtimes', choice.name) };
  }

  private async runtime(id: string, args: string[]): Promise<string> {
    const bin = this.binaryOf(id);
    try {
      const { stdout } = await run(bin.path, [`--root=${bin.root}`, ...args], {
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(runtimeErrorText(e.stderr || e.message));
    }
  }

  private readConfig(id: string): OciSpec {
    try {
      return JSON.parse(readFileSync(path.join(this.bundleDir(id), 'config.json'), 'utf8')) as OciSpec;
    } catch {
      throw new NotFound(`No such container: ${id}`);
    }
  }

  async create(spec: ContainerRunSpec): Promise<{ pid: number }> {
    const oci = buildSpec(spec, this.facts);
    const bundle = this.bundleDir(spec.id);
    rmSync(bundle, { recursive: true, force: true });
    mkdirSync(bundle, { recursive: true });
    rmSync(exitFileOf(this.exitDir, spec.id), { force: true });
    this.ensureCwd(spec.rootfs, oci.process.cwd, oci.process.user.uid, oci.process.user.gid);
    writeAtomic(path.join(bundle, 'config.json'), serializeSpec(oci));
    mkdirSync(path.dirname(spec.logPath), { recursive: true });
    const bin = this.binaryFor(spec.runtime);
    if (bin.path !== this.runtimePath) writeAtomic(path.join(bundle, 'runtime.json'), JSON.stringify(bin));
    mkdirSync(bin.root, { recursive: true });

    const conmon = spawnConmon({
      cid: spec.id,
      cuuid: spec.id,
      runtimePath: bin.path,
      runtimeRoot: bin.root,
      bundle,
      exitDir: this.exitDir,
      persistDir: bundle,
      logPath: spec.logPath,
      logMaxSize: spec.logMaxSize,
      tty: spec.tty,
      stdin: spec.openStdin,
      leaveStdinOpen: spec.openStdin && spec.stdinOnce === false,
    });
    try {
      conmon.start.write('go');
      const r = await withTimeout(conmon.sync.next(), 'the container monitor');
      if (!r || r.data <= 0) {
        await this.forceDelete(spec.id);
        rmSync(bundle, { recursive: true, force: true });
        throw startError(
          'failed to create task for container: failed to create shim task: OCI runtime create failed',
          r?.message ?? conmon.stderr(),
        );
      }
      return { pid: r.data };
    } finally {
      conmon.release();
    }
  }

  /** Docker creates a missing working directory, owned by the container user. */
  private ensureCwd(rootfs: string, cwd: string, uid: number, gid: number) {
    const rel = path
      .normalize(cwd)
      .split('/')
      .filter((p) => p && p !== '..');
    let cur = rootfs;
    for (const part of rel) {
      cur = path.join(cur, part);
      if (!existsSync(cur)) {
        mkdirSync(cur, { mode: 0o755 });
        chownSync(cur, uid, gid);
      }
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.runtime(id, ['start', id]);
    } catch (err) {
      throw startError('OCI runtime start failed', (err as Error).message);
    }
  }

  async kill(id: string, signal: string): Promise<void> {
    try {
      await this.runtime(id, ['kill', id, signal.replace(/^SIG/i, '')]);
    } catch (err) {
      const msg = (err as Error).message;
      if (/not running|does not exist|process already finished/.test(msg))
        throw new Conflict(`container ${id} is not running`);
      throw new SystemError(`cannot kill container: ${id}: ${msg}`);
    }
  }

  async pause(id: string): Promise<void> {
    await this.runtime(id, ['pause', id]).catch((e: Error) => {
      throw new SystemError(`cannot pause container ${id}: ${e.message}`);
    });
  }

  async resume(id: string): Promise<void> {
    await this.runtime(id, ['resume', id]).catch((e: Error) => {
      throw new SystemError(`cannot unpause container ${id}: ${e.message}`);
    });
  }

  private async forceDelete(id: string) {
    await this.runtime(id, ['delete', '--force', id]).catch(() => undefined);
  }

  async delete(id: string): Promise<void> {
    const bundle = this.bundleDir(id);
    await this.forceDelete(id);
    // The monitor exits on its own once the process is gone; if it hangs on, end it.
    const conmonPid = this.conmonPid(bundle);
    if (conmonPid > 0 && pidAlive(conmonPid) && this.isConmon(conmonPid)) {
      const deadline = Date.now() + 2000;
      while (pidAlive(conmonPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (pidAlive(conmonPid)) process.kill(conmonPid, 'SIGKILL');
    }
    this.removeCgroups(id);
    rmSync(bundle, { recursive: true, force: true });
    rmSync(exitFileOf(this.exitDir, id), { force: true });
  }

  private conmonPid(bundle: string): number {
    try {
      return Number(readFileSync(path.join(bundle, 'conmon.pid'), 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  }

  private isConmon(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'conmon';
    } catch {
      return false;
    }
  }

  /** runc removes its cgroups, but not after a crash mid-create; clean leftovers. */
  private removeCgroups(id: string) {
    const p = cgroupPathsFor(`${this.cgroupParent}/${id}`);
    for (const dir of [...Object.values(p.v1), ...(p.v2 ? [p.v2] : [])]) {
      try {
        for (const child of readdirSync(dir, { withFileTypes: true }))
          if (child.isDirectory()) rmdirSync(path.join(dir, child.name));
        rmdirSync(dir);
      } catch {
        /* absent or busy */
      }
    }
  }

  async state(id: string): Promise<RuntimeState | null> {
    try {
      const s = JSON.parse(await this.runtime(id, ['state', id])) as {
        status: RuntimeState['status'];
        pid: number;
      };
      return { status: s.status, pid: s.pid };
    } catch {
      return null;
    }
  }

  async recordedExit(id: string): Promise<ExitStatus | null> {
    return readExitFile(exitFileOf(this.exitDir, id), path.join(this.bundleDir(id), 'oom'));
  }

  waitExit(id: string): Promise<ExitStatus> {
    const bundle = this.bundleDir(id);
    const file = exitFileOf(this.exitDir, id);
    const oom = path.join(bundle, 'oom');
    if (!existsSync(bundle) && !existsSync(file))
      return Promise.reject(new NotFound(`No such container: ${id}`));
    return this.exits.wait(() => {
      const s = readExitFile(file, oom);
      if (s) return s;
      // A monitor that died without writing the file (killed): report it as lost.
      let conmonPid = 0;
      try {
        conmonPid = Number(readFileSync(path.join(bundle, 'conmon.pid'), 'utf8').trim());
      } catch {
        if (!existsSync(bundle))
          return { exitCode: 255, finishedAt: new Date().toISOString(), oomKilled: false };
        return null;
      }
      if (conmonPid > 0 && !pidAlive(conmonPid)) {
        return (
          readExitFile(file, oom) ?? { exitCode: 255, finishedAt: new Date().toISOString(), oomKilled: false }
        );
      }
      return null;
    });
  }

  attach(id: string, opts: { stdin: boolean }): Promise<AttachStreams> {
    const sock = path.join(this.bundleDir(id), 'attach');
    if (!existsSync(sock)) return Promise.reject(new Conflict(`container ${id} is not running`));
    return connectAttach(sock, opts);
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    writeCtl(this.bundleDir(id), `1 ${rows} ${cols}\n`);
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecProcess> {
    const config = this.readConfig(id);
    const execId = randomBytes(16).toString('hex');
    const dir = path.join(this.execRoot, 'x', execId.slice(0, 12));
    mkdirSync(dir, { recursive: true });
    const processSpec = this.execProcess(config, spec);
    writeFileSync(path.join(dir, 'process.json'), JSON.stringify(processSpec));

    const bin = this.binaryOf(id);
    const conmon: ConmonHandle = spawnConmon({
      cid: id,
      cuuid: execId,
      runtimePath: bin.path,
      runtimeRoot: bin.root,
      bundle: dir,
      exitDir: dir,
      tty: spec.tty,
      stdin: spec.attachStdin,
      leaveStdinOpen: false,
      exec: { processSpec: path.join(dir, 'process.json'), attach: true },
    });
    const cleanup = () => {
      conmon.release();
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      conmon.start.write('go');
      const ready = await withTimeout(conmon.attachPipe!.next(), 'the exec monitor');
      if (!ready) throw startError('OCI runtime exec failed', conmon.stderr());
      const streams = await connectAttach(path.join(dir, 'attach'), { stdin: spec.attachStdin });
      conmon.start.write('go');
      const r = await withTimeout(conmon.sync.next(), 'the exec process');
      if (!r || r.data <= 0) {
        streams.close();
        throw startError('OCI runtime exec failed', r?.message ?? conmon.stderr());
      }
      const exited = conmon.sync.next().then((x) => {
        cleanup();
        return x ? x.data : -1;
      });
      return {
        pid: r.data,
        stdin: streams.stdin,
        stdout: streams.stdout,
        stderr: spec.tty ? undefined : streams.stderr,
        exited,
        resize: (rows, cols) => {
          try {
            writeCtl(dir, `1 ${rows} ${cols}\n`);
          } catch {
            /* exec already finished */
          }
        },
      };
    } catch (err) {
      cleanup();
      throw err;
    }
  }

  /** The exec process inherits the container's process (rlimits, caps, …) like Docker's. */
  private execProcess(config: OciSpec, spec: ExecSpec): Record<string, unknown> {
    const base = config.process;
    const env = new Map<string, string>();
    for (const kv of [...base.env, ...spec.env]) env.set(kv.split('=')[0], kv);
    let user = base.user;
    if (spec.user) {
      const u = resolveUser(config.root.path, spec.user);
      user = {
        uid: u.uid,
        gid: u.gid,
        ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}),
      };
    }
    const caps = spec.privileged
      ? { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS }
      : base.capabilities;
    if (spec.tty && !env.has('TERM')) env.set('TERM', 'TERM=xterm');
    return {
      ...base,
      terminal: spec.tty,
      args: spec.args,
      env: [...env.values()],
      cwd: spec.cwd || base.cwd,
      user,
      capabilities: caps,
    };
  }

  async stats(id: string): Promise<Stats> {
    const st = await this.state(id);
    if (!st || st.status === 'stopped' || st.pid <= 0) throw new Conflict(`container ${id} is not running`);
    return readStats(cgroupPathsOfPid(st.pid), st.pid);
  }

  async pids(id: string): Promise<number[]> {
    return cgroupPids(cgroupPathsFor(`${this.cgroupParent}/${id}`));
  }

  async update(id: string, r: ContainerRunSpec['resources']): Promise<void> {
    const a: string[] = ['update'];
    if (r.memory !== undefined) a.push(`--memory=${r.memory}`);
    if (r.memorySwap !== undefined && this.facts.swapAccounting) a.push(`--memory-swap=${r.memorySwap}`);
    if (r.cpuShares !== undefined) a.push(`--cpu-share=${r.cpuShares}`);
    if (r.nanoCpus) a.push('--cpu-period=100000', `--cpu-quota=${Math.round((r.nanoCpus * 100000) / 1e9)}`);
    else {
      if (r.cpuPeriod !== undefined) a.push(`--cpu-period=${r.cpuPeriod}`);
      if (r.cpuQuota !== undefined) a.push(`--cpu-quota=${r.cpuQuota}`);
    }
    if (r.cpusetCpus !== undefined) a.push(`--cpuset-cpus=${r.cpusetCpus}`);
    if (r.cpusetMems !== undefined) a.push(`--cpuset-mems=${r.cpusetMems}`);
    if (r.pidsLimit !== undefined) a.push(`--pids-limit=${r.pidsLimit > 0 ? r.pidsLimit : -1}`);
    if (a.length === 1) return;
    try {
      await this.runtime(id, [...a, id]);
    } catch (err) {
      throw new SystemError(`Cannot update container ${id}: ${(err as Error).message}`);
    }
  }

  /** Stops background watchers (tests, daemon shutdown). Containers keep running. */
  close() {
    this.exits.stop();
  }
}
