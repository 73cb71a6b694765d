// The container record berthd keeps, and the rules that turn a create
// request plus the image config into it (moby's mergeAndVerifyConfig and
// HostConfig defaults).
import { InvalidArgument } from '../api/errors.js';
import type { MountPoint } from '../volume/mounts.js';

export type Status = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface Health {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export interface State {
  Status: Status;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: Health;
}

/** Docker's Config object (the parts berth reads; the rest is kept as sent). */
export interface Config {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[] | null;
  Cmd: string[] | null;
  Healthcheck?: HealthConfig | null;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number | null;
  Shell?: string[] | null;
  [k: string]: unknown;
}

export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

export type HostConfig = Record<string, any>;

export interface ContainerRecord {
  id: string;
  name: string; // "/name"
  created: string; // RFC 3339 nano
  path: string;
  args: string[];
  imageId: string;
  /** Top layer chain id of the image (overlay lower dirs), null for an empty image. */
  topLayer: string | null;
  config: Config;
  hostConfig: HostConfig;
  networkingConfig: Record<string, any> | null;
  state: State;
  restartCount: number;
  platform: string;
  /** Set by stop/kill from a user, cleared by start: restart policies skip these exits. */
  manuallyStopped: boolean;
  hasBeenStarted: boolean;
  /** Volumes, binds and tmpfs mounts, as planned at create (engine/volumes-mounts.ts). */
  mounts?: MountPoint[];
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): State {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

/** The image config's run settings, whether we were handed the whole config blob or just `.config`. */
export function imageRunConfig(imageConfig: any): Record<string, any> {
  if (!imageConfig || typeof imageConfig !== 'object') return {};
  if ('rootfs' in imageConfig || 'architecture' in imageConfig || 'os' in imageConfig)
    return (imageConfig.config ?? imageConfig.Config ?? {}) as Record<string, any>;
  return imageConfig as Record<string, any>;
}

const envKey = (e: string): string => (e.includes('=') ? e.slice(0, e.indexOf('=')) : e);

/** moby's merge(userConf, imageConf): the user's settings win, the image fills the gaps. */
export function mergeImageConfig(user: Partial<Config>, image: Record<string, any>): Config {
  const c: Config = {
    Hostname: user.Hostname ?? '',
    Domainname: user.Domainname ?? '',
    User: user.User || image.User || '',
    AttachStdin: !!user.AttachStdin,
    AttachStdout: !!user.AttachStdout,
    AttachStderr: !!user.AttachStderr,
    Tty: !!user.Tty,
    OpenStdin: !!user.OpenStdin,
    StdinOnce: !!user.StdinOnce,
    Env: null,
    Cmd: user.Cmd && user.Cmd.length ? [...user.Cmd] : null,
    Image: user.Image ?? '',
    Volumes: null,
    WorkingDir: user.WorkingDir || image.WorkingDir || '',
    Entrypoint: user.Entrypoint && user.Entrypoint.length ? [...user.Entrypoint] : null,
    OnBuild: user.OnBuild ?? null,
    Labels: { ...(image.Labels ?? {}), ...(user.Labels ?? {}) },
  };
  for (const k of ['MacAddress', 'NetworkDisabled', 'Shell', 'StopTimeout', 'ArgsEscaped'] as const)
    if (user[k] !== undefined && user[k] !== null && user[k] !== '') (c as any)[k] = user[k];

  const ports = { ...(image.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  if (Object.keys(ports).length) c.ExposedPorts = ports;

  const env = [...(user.Env ?? [])];
  const userKeys = new Set(env.map(envKey));
  for (const e of (image.Env ?? []) as string[]) if (!userKeys.has(envKey(e))) env.push(e);
  c.Env = env.length ? env : null;

  if (!c.Entrypoint) {
    if (!c.Cmd) {
      c.Cmd = image.Cmd && image.Cmd.length ? [...image.Cmd] : null;
      if (image.ArgsEscaped) c.ArgsEscaped = true;
    }
    // An explicit empty entrypoint ([] or [""]) resets the image's one.
    if (user.Entrypoint === undefined || user.Entrypoint === null)
      c.Entrypoint = image.Entrypoint && image.Entrypoint.length ? [...image.Entrypoint] : null;
  }
  if (c.Entrypoint && c.Entrypoint.length === 1 && c.Entrypoint[0] === '') c.Entrypoint = null;

  const vols = { ...(image.Volumes ?? {}), ...(user.Volumes ?? {}) };
  c.Volumes = Object.keys(vols).length ? vols : null;

  const stop = user.StopSignal || image.StopSignal;
  if (stop) c.StopSignal = stop;

  const hc = mergeHealthcheck(user.Healthcheck ?? undefined, image.Healthcheck ?? undefined);
  if (hc) c.Healthcheck = hc;

  if (!c.Entrypoint?.length && !c.Cmd?.length) throw new InvalidArgument('No command specified');
  return c;
}

function mergeHealthcheck(user?: HealthConfig, image?: HealthConfig): HealthConfig | undefined {
  if (!user) return image ? { ...image } : undefined;
  if (!image) return { ...user };
  const out: HealthConfig = { ...user };
  if (!out.Test || out.Test.length === 0) out.Test = image.Test;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const)
    if (!out[k]) out[k] = image[k];
  return out;
}

const DEFAULT_MASKED = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const DEFAULT_READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** HostConfig as dockerd stores it: every field present, Docker's defaults filled in. */
export function completeHostConfig(hc: HostConfig | undefined, cgroupVersion: '1' | '2'): HostConfig {
  const h: HostConfig = { ...(hc ?? {}) };
  const dflt = (k: string, v: unknown): void => {
    if (h[k] === undefined) h[k] = v;
  };
  dflt('Binds', null);
  dflt('ContainerIDFile', '');
  if (!h.LogConfig || !h.LogConfig.Type) h.LogConfig = { Type: 'json-file', Config: h.LogConfig?.Config ?? {} };
  if (!h.LogConfig.Config) h.LogConfig.Config = {};
  if (!h.NetworkMode || h.NetworkMode === 'default') h.NetworkMode = 'bridge';
  dflt('PortBindings', {});
  if (!h.PortBindings) h.PortBindings = {};
  const rp = h.RestartPolicy ?? {};
  h.RestartPolicy = { Name: rp.Name || 'no', MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  dflt('AutoRemove', false);
  dflt('VolumeDriver', '');
  dflt('VolumesFrom', null);
  if (!Array.isArray(h.ConsoleSize)) h.ConsoleSize = [0, 0];
  dflt('Annotations', undefined);
  dflt('CapAdd', null);
  dflt('CapDrop', null);
  if (!h.CgroupnsMode) h.CgroupnsMode = cgroupVersion === '2' ? 'private' : 'host';
  if (!h.Dns) h.Dns = [];
  if (!h.DnsOptions) h.DnsOptions = [];
  if (!h.DnsSearch) h.DnsSearch = [];
  dflt('ExtraHosts', null);
  dflt('GroupAdd', null);
  if (!h.IpcMode) h.IpcMode = 'private';
  dflt('Cgroup', '');
  dflt('Links', null);
  dflt('OomScoreAdj', 0);
  dflt('PidMode', '');
  dflt('Privileged', false);
  dflt('PublishAllPorts', false);
  dflt('ReadonlyRootfs', false);
  dflt('SecurityOpt', null);
  dflt('UTSMode', '');
  dflt('UsernsMode', '');
  if (!h.ShmSize) h.ShmSize = 67108864;
  if (!h.Runtime) h.Runtime = 'runc';
  dflt('Isolation', '');
  for (const k of ['CpuShares', 'Memory', 'NanoCpus', 'BlkioWeight', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod',
    'CpuRealtimeRuntime', 'MemoryReservation', 'MemorySwap', 'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth'])
    dflt(k, 0);
  dflt('CgroupParent', '');
  for (const k of ['BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'Devices', 'Ulimits'])
    if (!h[k]) h[k] = [];
  dflt('CpusetCpus', '');
  dflt('CpusetMems', '');
  dflt('DeviceCgroupRules', null);
  dflt('DeviceRequests', null);
  dflt('MemorySwappiness', null);
  dflt('OomKillDisable', cgroupVersion === '2' ? null : false);
  dflt('PidsLimit', null);
  if (!h.Privileged) {
    if (!h.MaskedPaths) h.MaskedPaths = [...DEFAULT_MASKED];
    if (!h.ReadonlyPaths) h.ReadonlyPaths = [...DEFAULT_READONLY];
  }
  if (h.Annotations === undefined) delete h.Annotations;
  validateRestartPolicy(h);
  return h;
}

export function validateRestartPolicy(h: HostConfig): void {
  const { Name, MaximumRetryCount } = h.RestartPolicy as { Name: string; MaximumRetryCount: number };
  if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(Name))
    throw new InvalidArgument(
      `invalid restart policy: unknown policy '${Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  if (Name !== 'on-failure' && MaximumRetryCount !== 0)
    throw new InvalidArgument("invalid restart policy: maximum retry count can only be used with 'on-failure'");
  if (MaximumRetryCount < 0)
    throw new InvalidArgument('invalid restart policy: maximum retry count must be a positive integer');
  if (h.AutoRemove && Name !== 'no')
    throw new InvalidArgument("can't create 'AutoRemove' container with restart policy");
}

/** RFC 3339 with nanoseconds, like Go's time.RFC3339Nano in UTC. */
export function nowNano(): string {
  const ms = Date.now();
  const ns = Number(process.hrtime.bigint() % 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2024-01-01T00:00:00.123Z
  const frac = (iso.slice(20, 23) + String(ns).padStart(6, '0')).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
}

/** Milliseconds since the epoch from an RFC 3339 (nano) string; 0 for the zero time. */
export function timeMs(t: string): number {
  if (!t || t.startsWith('0001-')) return 0;
  return Date.parse(t.replace(/(\.\d{3})\d+/, '$1'));
}

export function isRunning(s: State): boolean {
  return s.Running;
}
