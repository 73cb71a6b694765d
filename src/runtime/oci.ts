// The Runtime driver: OCI bundles run by runc (or crun) under conmon.
//
// Layout under the exec root:
//   runc/                    runc's state (--root); other runtimes use runtimes/<name>/
//   containers/<id>/         bundle: config.json, attach, ctl, pidfile, conmon.pid, oom,
//                            runtime.json (binary + state root, so a later berthd with
//                            another default still drives this container's runtime)
//                            (<id> is shortened to 12 chars when the attach socket
//                             path would not fit in a unix socket address)
//   exits/<id>               exit status written by conmon
//   x/<id12>-<exec-id12>/    one directory per exec session (process.json, attach, ctl)
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Conflict, NotFound, SystemError } from '../api/errors.js';
import { connectAttach } from './attach.js';
import { AttachHub } from './attach-hub.js';
import { cgroupPathsFor, cgroupPathsOfPid, cgroupPids, isCgroup2Only, CGROUP_ROOT } from './cgroups.js';
import { runtimeErrorText, spawnConmon } from './conmon.js';
import { startExec } from './exec.js';
import { ExitWatcher, exitFileOf, readExitFile } from './exits.js';
import { pidAlive, startError, withTimeout, writeAtomic, writeCtl } from './monitor-util.js';
import { chooseRuntime, findInitBinary, type RuntimeChoice } from './probe.js';
import { hostHardLimits } from './rlimits.js';
import { buildSpec, serializeSpec, type OciSpec, type SpecHostFacts } from './spec.js';
import { readStats } from './stats.js';
import { updateArgs } from './update-args.js';
import { removeStoppedRuncState, startViaExecFifo } from './runc-direct.js';
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

const run = promisify(execFile);
const SUN_PATH_MAX = 107;

export interface OciRuntimeOptions {
  execRoot: string;
  /** A resolved runtime (probe.chooseRuntime); default: runc, or crun where its probe succeeds. */
  runtime?: RuntimeChoice;
  /** cgroupsPath parent; containers get `<parent>/<id>`. */
  cgroupParent?: string;
  /** Static init for --init (default: tini-static/catatonit if installed). */
  initBinary?: string;
}

export { exitCodeForStartError } from './monitor-util.js';

export class OciRuntime implements Runtime {
  readonly name: string;
  readonly runtimePath: string;
  readonly root: string;
  readonly exitDir: string;
  private readonly execRoot: string;
  private readonly cgroupParent: string;
  private readonly facts: SpecHostFacts;
  private readonly exits: ExitWatcher;
  /** berthd's one connection per container to the monitor's attach socket. */
  private readonly attachHub = new AttachHub();

  constructor(opts: OciRuntimeOptions) {
    const choice = opts.runtime ?? chooseRuntime();
    this.name = choice.name;
    this.runtimePath = choice.path;
    this.execRoot = path.resolve(opts.execRoot);
    this.root =
      choice.name === 'runc'
        ? path.join(this.execRoot, 'runc')
        : path.join(this.execRoot, 'runtimes', choice.name);
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

  /** Whether the monitor was started with --leave-stdin-open (StdinOnce false). */
  private leavesStdinOpen(id: string): boolean {
    try {
      return !!(JSON.parse(readFileSync(path.join(this.bundleDir(id), 'runtime.json'), 'utf8')) as { leaveStdinOpen?: boolean })
        .leaveStdinOpen;
    } catch {
      return false;
    }
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
    const leaveStdinOpen = spec.openStdin && spec.stdinOnce === false;
    writeAtomic(path.join(bundle, 'runtime.json'), JSON.stringify({ ...bin, leaveStdinOpen }));
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
      // With engine-side rotation (max-file > 1) conmon gets no limit: its byte count survives a
      // reopen, so its own truncation would later clobber the file the engine just started.
      logMaxSize: spec.logMaxFile && spec.logMaxFile > 1 ? undefined : spec.logMaxSize,
      tty: spec.tty,
      stdin: spec.openStdin,
      leaveStdinOpen,
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
    // runc's start is one open+read of its exec fifo: done here, a runc spawn (tens of ms) is saved.
    if (await startViaExecFifo(this.binaryOf(id), id)) return;
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

  /** Whether the runtime holds state for `id` (runc and crun keep a directory per container under --root). */
  private hasRuntimeState(id: string): boolean {
    return existsSync(path.join(this.binaryOf(id).root, id));
  }

  async delete(id: string): Promise<void> {
    const bundle = this.bundleDir(id);
    const monitorGone = this.attachHub.forget(id);
    // Spawning the runtime costs tens of ms; a container it never created (or already deleted) needs
    // no call, and for a stopped runc container deleting is only file removal (done here).
    if (this.hasRuntimeState(id) && !removeStoppedRuncState(this.binaryOf(id), id)) await this.forceDelete(id);
    // The monitor exits on its own once the process is gone; if it hangs on, end it.
    const conmonPid = this.conmonPid(bundle);
    if (conmonPid > 0 && pidAlive(conmonPid) && this.isConmon(conmonPid)) {
      // It is usually gone within a few ms of writing the exit file: poll finely at first.
      const t0 = Date.now();
      while (pidAlive(conmonPid) && Date.now() - t0 < 2000)
        await new Promise((r) => setTimeout(r, Date.now() - t0 < 100 ? 2 : 20));
      if (pidAlive(conmonPid)) process.kill(conmonPid, 'SIGKILL');
    }
    monitorGone();
    this.removeCgroups(id);
    rmSync(bundle, { recursive: true, force: true });
    const execs = path.join(this.execRoot, 'x');
    for (const d of readdirSync(execs)) {
      if (d.startsWith(`${id.slice(0, 12)}-`)) rmSync(path.join(execs, d), { recursive: true, force: true });
    }
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
    const notRunning = new Conflict(`container ${id} is not running`);
    if (!existsSync(sock)) return Promise.reject(notRunning);
    // Clients share berthd's one connection (see attach-hub.ts). The socket
    // file outlives its monitor; connecting then fails.
    // A monitor with --leave-stdin-open never closes stdin: a client's EOF then ends nothing.
    const hub = { stdin: opts.stdin, closeStdinOnEnd: !this.leavesStdinOpen(id) };
    return this.attachHub.attach(id, () => connectAttach(sock, { stdin: true }), hub).catch(() => {
      throw notRunning;
    });
  }

  async resize(id: string, rows: number, cols: number): Promise<void> {
    writeCtl(this.bundleDir(id), `1 ${rows} ${cols}\n`);
  }

  async reopenLog(id: string): Promise<void> {
    writeCtl(this.bundleDir(id), '2 0 0\n');
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecProcess> {
    return startExec({
      execRoot: this.execRoot,
      bin: this.binaryOf(id),
      cid: id,
      config: this.readConfig(id),
      spec,
    });
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
    const a = updateArgs(r, this.facts.swapAccounting);
    if (a.length === 0) return;
    try {
      await this.runtime(id, ['update', ...a, id]);
    } catch (err) {
      throw new SystemError(`Cannot update container ${id}: ${(err as Error).message}`);
    }
  }

  /** Stops background watchers (tests, daemon shutdown). Containers keep running. */
  close() {
    this.exits.stop();
    this.attachHub.closeAll();
  }
}
