// The contract between the engine's container service and the runtime layer
// (OCI runtime + per-container monitor). The engine decides *what* runs; the
// runtime layer knows *how* (config.json, conmon, runc, cgroups, ptys).
import type { Duplex, Readable, Writable } from 'node:stream';

/** What the engine asks for; spec.ts turns it into an OCI config.json. */
export interface ContainerRunSpec {
  id: string;
  /** Merged rootfs mount point (overlay of the image layers + upper dir). */
  rootfs: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  /** "uid[:gid]" or "name[:group]"; resolved against the rootfs /etc/passwd and /etc/group. */
  user: string;
  /** Docker's --group-add (names or gids). */
  groupAdd?: string[];
  hostname: string;
  domainname?: string;
  tty: boolean;
  openStdin: boolean;
  /**
   * Docker's StdinOnce: when an attached client ends (or drops) its stdin, the
   * container's stdin is closed. Unset counts as true (what `docker run -i`
   * sends); pass false (`docker run -dit` + attach/detach) to keep stdin open
   * across attach sessions (conmon --leave-stdin-open).
   */
  stdinOnce?: boolean;
  /** Host files bind-mounted at /etc/hosts, /etc/resolv.conf, /etc/hostname. */
  etcFiles: { hosts?: string; resolvConf?: string; hostname?: string };
  mounts: { source: string; destination: string; type: string; options: string[] }[];
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  securityOpt: string[];
  /** Network namespace: 'none' (private, loopback only), 'host', or a path to join. */
  netns: 'none' | 'host' | { path: string };
  ipcMode?: string;
  pidMode?: string;
  init: boolean;
  stopSignal?: string;
  resources: {
    memory?: number;
    memorySwap?: number;
    nanoCpus?: number;
    cpuShares?: number;
    cpuQuota?: number;
    cpuPeriod?: number;
    cpusetCpus?: string;
    cpusetMems?: string;
    pidsLimit?: number;
    shmSize?: number;
    ulimits?: { Name: string; Soft: number; Hard: number }[];
    memoryReservation?: number;
    memorySwappiness?: number;
    oomKillDisable?: boolean;
    blkioWeight?: number;
  };
  /** Docker's --oom-score-adj. */
  oomScoreAdj?: number;
  /** Docker's --device: host device nodes made available in the container. */
  devices?: { pathOnHost: string; pathInContainer: string; cgroupPermissions: string }[];
  sysctls?: Record<string, string>;
  /**
   * OCI runtime for this container (`docker run --runtime`), as resolved by
   * probe.chooseRuntime(name, daemon.json runtimes); unset = the daemon default.
   */
  runtime?: { name: string; path: string };
  /** Log file (conmon k8s-file format) and its rotation limits. */
  logPath: string;
  logMaxSize?: number;
  /**
   * Generations kept by the engine (`--log-opt max-file`): above 1 the engine
   * rotates the file and asks the monitor to reopen it (Runtime.reopenLog),
   * and the monitor gets no limit of its own.
   */
  logMaxFile?: number;
}

export interface ExitStatus {
  exitCode: number;
  /** RFC 3339 with nanoseconds. */
  finishedAt: string;
  oomKilled: boolean;
}

export interface RuntimeState {
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

export interface ExecSpec {
  args: string[];
  env: string[];
  cwd?: string;
  user?: string;
  tty: boolean;
  privileged: boolean;
  attachStdin: boolean;
}

/** A started exec session: its streams and the exit code when it ends. */
export interface ExecProcess {
  pid: number;
  stdin?: Writable;
  /** With a TTY only stdout carries data. */
  stdout: Readable;
  stderr?: Readable;
  exited: Promise<number>;
  resize(rows: number, cols: number): void;
}

/** Live streams of a running container's main process (from its monitor). */
export interface AttachStreams {
  stdin?: Writable;
  stdout: Readable;
  stderr?: Readable;
  close(): void;
}

export interface Stats {
  read: string;
  cpu: { total: number; system: number; onlineCpus: number; percpu?: number[] };
  memory: { usage: number; limit: number; cache?: number; stats: Record<string, number> };
  pids: { current: number; limit?: number };
  blkio: { op: string; major: number; minor: number; value: number }[];
  net?: Record<string, { rx_bytes: number; tx_bytes: number; rx_packets: number; tx_packets: number }>;
}

export interface Runtime {
  readonly name: string;
  /** Writes the bundle and starts the monitor; the process is created, not yet running. */
  create(spec: ContainerRunSpec): Promise<{ pid: number }>;
  start(id: string): Promise<void>;
  kill(id: string, signal: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Removes runtime state (and bundle) of a stopped container. */
  delete(id: string): Promise<void>;
  state(id: string): Promise<RuntimeState | null>;
  /** Resolves when the container's process exits (also for containers found after a restart). */
  waitExit(id: string): Promise<ExitStatus>;
  /** The exit recorded by the monitor while berthd was down, if any. */
  recordedExit(id: string): Promise<ExitStatus | null>;
  attach(id: string, opts: { stdin: boolean }): Promise<AttachStreams>;
  resize(id: string, rows: number, cols: number): Promise<void>;
  exec(id: string, spec: ExecSpec): Promise<ExecProcess>;
  stats(id: string): Promise<Stats>;
  /** `ps` inside the container: pids of its processes. */
  pids(id: string): Promise<number[]>;
  update(id: string, resources: ContainerRunSpec['resources']): Promise<void>;
  /** The monitor reopens the log file (after the engine renamed it away to rotate it). */
  reopenLog?(id: string): Promise<void>;
}

export type { Duplex };
