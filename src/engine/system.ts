// The bodies of `/version` and `/info`, from true figures of this host.
import { runtimeVersion } from './host.js';
import type { Daemon } from './daemon.js';
import { API_VERSION, MIN_API_VERSION, lt } from '../api/version.js';
import { BERTH_VERSION, GIT_COMMIT } from '../version.js';

export function systemVersion(d: Daemon): Record<string, unknown> {
  const h = d.host;
  const runc = runtimeVersion('runc');
  const engine = {
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: GIT_COMMIT,
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: h.arch,
    KernelVersion: h.kernel,
    BuildTime: d.startedAt.toISOString(),
  };
  const components: Record<string, unknown>[] = [
    { Name: 'Engine', Version: BERTH_VERSION, Details: { ...engine, Version: undefined, Experimental: 'false' } },
  ];
  if (runc) components.push({ Name: 'runc', Version: runc.version, Details: { GitCommit: runc.commit } });
  return { Platform: { Name: `berth ${BERTH_VERSION}` }, Components: components, ...engine };
}

export function systemInfo(d: Daemon, version: string = API_VERSION): Record<string, unknown> {
  const h = d.host;
  const c = d.counts.containers();
  const runtimes: Record<string, { path: string; runtimeArgs?: string[] }> = { runc: { path: 'runc' } };
  for (const [name, rt] of Object.entries(d.config.runtimes)) runtimes[name] = rt;
  const runc = runtimeVersion('runc');
  return {
    ID: d.id,
    Containers: c.total,
    ContainersRunning: c.running,
    ContainersPaused: c.paused,
    ContainersStopped: c.stopped,
    Images: d.counts.images(),
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', 'extfs'],
      ['Supports d_type', 'true'],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
      ['userxattr', 'false'],
    ],
    Plugins: {
      Volume: ['local'],
      Network: ['bridge', 'host', 'null'],
      Authorization: null,
      Log: ['k8s-file'],
    },
    MemoryLimit: true,
    SwapLimit: true,
    KernelMemoryTCP: false,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    // Omitted from API 1.50 on (deprecated in 1.48), as dockerd does.
    ...(lt(version, '1.50') ? { BridgeNfIptables: false, BridgeNfIp6tables: false } : {}),
    Debug: d.config.debug,
    NFd: 0,
    OomKillDisable: false,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'k8s-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: h.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: h.kernel,
    OperatingSystem: h.operatingSystem,
    OSVersion: h.osVersion,
    OSType: 'linux',
    Architecture: process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      // Removed in API 1.49.
      ...(lt(version, '1.49') ? { AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null } : {}),
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: {
        'docker.io': { Name: 'docker.io', Mirrors: d.config.registryMirrors, Secure: true, Official: true },
        ...Object.fromEntries(
          d.config.insecureRegistries.map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }]),
        ),
      },
      Mirrors: d.config.registryMirrors,
    },
    NCPU: h.ncpu,
    MemTotal: h.memTotal,
    GenericResources: null,
    DockerRootDir: d.paths.dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: h.hostname,
    Labels: d.config.labels,
    ExperimentalBuild: false,
    ServerVersion: systemVersion(d).Version,
    Runtimes: runtimes,
    DefaultRuntime: d.config.defaultRuntime ?? 'runc',
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: true,
    Isolation: '',
    InitBinary: 'catatonit',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: runc?.commit ?? '' },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin'],
    CDISpecDirs: [],
    Warnings: null,
  };
}
