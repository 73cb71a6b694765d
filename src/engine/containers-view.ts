// The JSON shapes dockerd answers for a container: the full inspect document
// and the summary `GET /containers/json` lists, with Docker's status text.
import type { ContainerRecord, State } from './containers-model.js';
import { mountJson } from '../volume/mounts.js';
import { timeMs } from './containers-model.js';

export interface ContainerPaths {
  dir: string;
  upper: string;
  work: string;
  merged: string;
  hosts: string;
  resolvConf: string;
  hostname: string;
  log: string;
}

/** Go's units.HumanDuration, which `docker ps` shows. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** The "Status" column: "Up 3 seconds (healthy)", "Exited (0) 2 minutes ago", … */
export function statusText(s: State, now = Date.now()): string {
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.Running) {
    const up = humanDuration(now - timeMs(s.StartedAt));
    if (s.Paused) return `Up ${up} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - timeMs(s.FinishedAt))} ago`;
    const health = s.Health && s.Health.Status !== 'none' ? ` (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})` : '';
    return `Up ${up}${health}`;
  }
  if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - timeMs(s.FinishedAt))} ago`;
  if (timeMs(s.FinishedAt) === 0) return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - timeMs(s.FinishedAt))} ago`;
}

/** "sh -c 'echo hi'" as `docker ps` shows Command (space-joined, no quoting, like moby). */
export function commandText(c: ContainerRecord): string {
  return [c.path, ...c.args].join(' ');
}

function networkEntry(c: ContainerRecord, name: string): Record<string, unknown> {
  const cfg = c.networkingConfig?.EndpointsConfig?.[name] ?? {};
  return {
    IPAMConfig: cfg.IPAMConfig ?? null,
    Links: cfg.Links ?? null,
    Aliases: cfg.Aliases ?? null,
    MacAddress: '',
    DriverOpts: cfg.DriverOpts ?? null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

export function networkMode(c: ContainerRecord): string {
  return c.hostConfig.NetworkMode as string;
}

function networks(c: ContainerRecord): Record<string, unknown> {
  const mode = networkMode(c);
  if (mode.startsWith('container:')) return {};
  return { [mode]: networkEntry(c, mode) };
}

export function inspectJson(
  c: ContainerRecord,
  p: ContainerPaths,
  extra: { execIds: string[]; lowerDirs: string[]; sandboxKey: string; network?: Record<string, unknown> },
): Record<string, unknown> {
  const state: Record<string, unknown> = { ...c.state };
  if (!c.state.Health) delete state.Health;
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: state,
    Image: c.imageId,
    ResolvConfPath: p.resolvConf,
    HostnamePath: p.hostname,
    HostsPath: p.hosts,
    LogPath: p.log,
    Name: c.name,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: c.platform,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: extra.execIds.length ? extra.execIds : null,
    HostConfig: c.hostConfig,
    GraphDriver: {
      Data: {
        ID: c.id,
        LowerDir: extra.lowerDirs.join(':'),
        MergedDir: p.merged,
        UpperDir: p.upper,
        WorkDir: p.work,
      },
      Name: 'overlay2',
    },
    Mounts: (c.mounts ?? []).map(mountJson),
    Config: c.config,
    NetworkSettings: extra.network ?? {
      Bridge: '',
      SandboxID: c.state.Running ? c.id : '',
      SandboxKey: c.state.Running ? extra.sandboxKey : '',
      Ports: {},
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: '',
      Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      MacAddress: '',
      Networks: networks(c),
    },
  };
}

export function summaryJson(
  c: ContainerRecord,
  sizes?: { rw: number; rootFs: number },
  net?: { Ports: Record<string, unknown>[]; Networks: Record<string, unknown> },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: c.id,
    Names: [c.name],
    Image: c.config.Image || c.imageId,
    ImageID: c.imageId,
    Command: commandText(c),
    Created: Math.floor(timeMs(c.created) / 1000),
    Ports: net?.Ports ?? [],
    Labels: c.config.Labels ?? {},
    State: c.state.Status,
    Status: statusText(c.state),
    HostConfig: { NetworkMode: networkMode(c) },
    NetworkSettings: { Networks: net?.Networks ?? networks(c) },
    Mounts: (c.mounts ?? []).map(mountJson),
  };
  if (sizes) {
    out.SizeRw = sizes.rw;
    out.SizeRootFs = sizes.rootFs;
  }
  return out;
}
