// One service replica → the body of `POST /containers/create`, the way
// Compose v2 translates a service (labels, mounts, ports, networks, limits).
import path from 'node:path';
import type { Project, Service, ServiceVolume } from './model.js';
import { ComposeError } from './model.js';
import { COMPOSE_VERSION, L } from './labels.js';
import { serviceHash } from './hash.js';
import { nanoCpus, parseDuration, parseRestartPolicy, ramInBytes } from '../cli/containers-units.js';

export interface ReplicaInput {
  project: Project;
  service: Service;
  number: number;
  name: string;
  /** The image's ID (`sha256:…`), stored in com.docker.compose.image. */
  imageId?: string;
  oneoff?: boolean;
  /** `network_mode: service:x` resolved to a container ID by the caller. */
  networkModeContainer?: string;
  /** Extra labels (run -l). */
  extraLabels?: Record<string, string>;
}

export interface CreateBody {
  name: string;
  body: Record<string, any>;
  /** Networks to connect after create (all but the primary one). */
  extraNetworks: { name: string; config: Record<string, unknown> }[];
  /** Files to copy in before start. */
  files: InjectedFile[];
}

/** The image a service runs: `image:`, else the name Compose gives a built image. */
export function serviceImage(project: Project, s: Service): string {
  return s.image ?? `${project.name}-${s.name}`;
}

export function containerName(project: Project, s: Service, n: number): string {
  return s.container_name ?? `${project.name}-${s.name}-${n}`;
}

/** The engine-side name of a project network key. */
export function networkName(project: Project, key: string): string {
  return project.networks[key]?.name ?? `${project.name}_${key}`;
}

/** A service's networks by priority (Compose's order), or `default` when none are listed. */
export function serviceNetworks(s: Service): string[] {
  if (s.network_mode) return [];
  const keys = Object.keys(s.networks ?? {});
  if (!keys.length) return ['default'];
  return keys.sort((a, b) => (s.networks[b]?.priority ?? 0) - (s.networks[a]?.priority ?? 0));
}

export function dependsOnLabel(s: Service): string {
  return Object.entries(s.depends_on ?? {})
    .map(([name, d]) => `${name}:${d.condition}:${d.restart ? 'true' : 'false'}`)
    .join(',');
}

function seconds(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  return Math.round(durationNs(d) / 1e9);
}

function durationNs(d: string): number {
  try {
    return parseDuration(d);
  } catch {
    throw new ComposeError(`invalid duration: ${d}`);
  }
}

function bytes(v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  return ramInBytes(v.replace(/b$/i, ''));
}

function resolveEnv(project: Project, env: Record<string, string | null>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env ?? {})) {
    // `FOO` with no value: taken from the environment, left out when unset (as Compose does).
    const value = v ?? project.environment[k] ?? process.env[k];
    if (value !== undefined) out.push(`${k}=${value}`);
  }
  return out;
}

function healthcheck(s: Service): Record<string, unknown> | undefined {
  const h = s.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  const ns = (d?: string): number | undefined => (d === undefined ? undefined : durationNs(d));
  return {
    Test: h.test,
    Interval: ns(h.interval),
    Timeout: ns(h.timeout),
    StartPeriod: ns(h.start_period),
    StartInterval: ns(h.start_interval),
    Retries: h.retries,
  };
}

function ports(s: Service): { exposed: Record<string, object>; bindings: Record<string, object[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, object[]> = {};
  for (const p of s.ports ?? []) {
    const key = `${p.target}/${p.protocol ?? 'tcp'}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  for (const e of s.expose ?? []) {
    const [port, proto = 'tcp'] = String(e).split('/');
    exposed[`${port}/${proto}`] = {};
  }
  return { exposed, bindings };
}

function volumeMount(project: Project, v: ServiceVolume): { bind?: string; mount?: Record<string, unknown> } {
  switch (v.type) {
    case 'bind': {
      const src = path.resolve(project.working_dir, v.source ?? '');
      // Binds (not Mounts) create a missing host path, as Compose's short syntax does.
      if (v.bind?.create_host_path !== false && !v.bind?.propagation && !v.bind?.selinux)
        return { bind: `${src}:${v.target}${v.read_only ? ':ro' : ''}` };
      return {
        mount: {
          Type: 'bind',
          Source: src,
          Target: v.target,
          ReadOnly: v.read_only || undefined,
          BindOptions: v.bind?.propagation ? { Propagation: v.bind.propagation } : undefined,
        },
      };
    }
    case 'volume': {
      const source = v.source ? (project.volumes[v.source]?.name ?? v.source) : undefined;
      const labels = v.source && project.volumes[v.source] ? undefined : { [L.project]: project.name };
      return {
        mount: {
          Type: 'volume',
          Source: source,
          Target: v.target,
          ReadOnly: v.read_only || undefined,
          VolumeOptions:
            v.volume?.nocopy || v.volume?.subpath || labels
              ? {
                  NoCopy: v.volume?.nocopy || undefined,
                  Subpath: v.volume?.subpath,
                  Labels: source ? undefined : labels,
                }
              : undefined,
        },
      };
    }
    case 'tmpfs':
      return {
        mount: {
          Type: 'tmpfs',
          Target: v.target,
          ReadOnly: v.read_only || undefined,
          TmpfsOptions: v.tmpfs ? { SizeBytes: bytes(v.tmpfs.size), Mode: v.tmpfs.mode } : undefined,
        },
      };
    default:
      throw new ComposeError(`volume type ${v.type} is not supported`);
  }
}

/** A file copied into the container after create (secrets/configs from `environment:` or `content:`). */
export interface InjectedFile {
  path: string;
  content: string;
  mode: number;
  uid: number;
  gid: number;
}

/**
 * secrets at /run/secrets/<name>, configs at /<name> (or `target`): files
 * become read-only binds; `environment:`/`content:` ones are copied in.
 */
function fileObjects(project: Project, s: Service): { binds: string[]; files: InjectedFile[] } {
  const binds: string[] = [];
  const files: InjectedFile[] = [];
  const add = (kind: 'secrets' | 'configs'): void => {
    for (const ref of s[kind] ?? []) {
      const obj = project[kind][ref.source];
      if (!obj)
        throw new ComposeError(`service "${s.name}" refers to undefined ${kind.slice(0, -1)} ${ref.source}`);
      const base = kind === 'secrets' ? '/run/secrets' : '/';
      const target = ref.target ? path.posix.resolve(base, ref.target) : path.posix.join(base, ref.source);
      if (obj.file) {
        binds.push(`${path.resolve(project.working_dir, obj.file)}:${target}:ro`);
        continue;
      }
      const content =
        obj.content ??
        (obj.environment
          ? (project.environment[obj.environment] ?? process.env[obj.environment])
          : undefined);
      if (content === undefined) continue; // external: the engine's business (swarm only)
      files.push({
        path: target,
        content,
        mode: ref.mode ?? 0o444,
        uid: Number(ref.uid ?? 0),
        gid: Number(ref.gid ?? 0),
      });
    }
  };
  add('secrets');
  add('configs');
  return { binds, files };
}

function extraHosts(list: string[]): string[] {
  // Compose accepts host=ip and host:ip; the engine wants host:ip.
  return (list ?? []).map((h) => (/^[^:=]+=/.test(h) ? h.replace('=', ':') : h));
}

function ulimits(s: Service): { Name: string; Soft: number; Hard: number }[] | undefined {
  const entries = Object.entries(s.ulimits ?? {});
  if (!entries.length) return undefined;
  return entries.map(([Name, v]) =>
    typeof v === 'number' ? { Name, Soft: v, Hard: v } : { Name, Soft: v.soft, Hard: v.hard },
  );
}

function networkMode(project: Project, s: Service, input: ReplicaInput): string | undefined {
  const mode = s.network_mode;
  if (!mode) return networkName(project, serviceNetworks(s)[0]);
  if (mode.startsWith('service:')) {
    if (!input.networkModeContainer)
      throw new ComposeError(`service ${mode.slice(8)} not found for network_mode`);
    return `container:${input.networkModeContainer}`;
  }
  return mode;
}

export function endpointConfig(s: Service, key: string, oneoff: boolean): Record<string, unknown> {
  const net = s.networks?.[key] ?? undefined;
  // One-off containers get no service alias, so `run` never answers for the service.
  const aliases = [...(oneoff ? [] : [s.name]), ...(net?.aliases ?? [])];
  return {
    Aliases: aliases.length ? aliases : undefined,
    IPAMConfig:
      net?.ipv4_address || net?.ipv6_address
        ? { IPv4Address: net.ipv4_address, IPv6Address: net.ipv6_address }
        : undefined,
  };
}

export function containerLabels(input: ReplicaInput): Record<string, string> {
  const { project, service: s } = input;
  const labels: Record<string, string> = {
    ...(s.labels ?? {}),
    ...(input.extraLabels ?? {}),
    [L.project]: project.name,
    [L.service]: s.name,
    [L.number]: String(input.number),
    [L.oneoff]: input.oneoff ? 'True' : 'False',
    [L.configHash]: serviceHash(s),
    [L.workingDir]: project.working_dir,
    [L.configFiles]: project.config_files.join(','),
    [L.dependsOn]: dependsOnLabel(s),
    [L.version]: COMPOSE_VERSION,
  };
  const envFile = (project as { env_files?: string[] }).env_files;
  labels[L.envFile] = envFile?.length ? envFile.join(',') : path.join(project.working_dir, '.env');
  if (input.imageId) labels[L.image] = input.imageId;
  return labels;
}

export function createBody(input: ReplicaInput): CreateBody {
  const { project, service: s } = input;
  const { exposed, bindings } = ports(s);
  const objects = fileObjects(project, s);
  const binds: string[] = [...objects.binds];
  const mounts: Record<string, unknown>[] = [];
  for (const v of s.volumes ?? []) {
    const m = volumeMount(project, v);
    if (m.bind) binds.push(m.bind);
    if (m.mount) mounts.push(m.mount);
  }
  const tmpfs: Record<string, string> = {};
  for (const t of s.tmpfs ?? []) {
    const i = t.indexOf(':');
    tmpfs[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
  }
  const limits = s.deploy?.resources?.limits;
  const reservations = s.deploy?.resources?.reservations;
  const restart = s.restart ? parseRestartPolicy(s.restart) : undefined;
  const mode = networkMode(project, s, input);
  const nets = serviceNetworks(s);
  const oneoff = Boolean(input.oneoff);
  const endpoints: Record<string, unknown> = {};
  if (!s.network_mode && nets.length)
    endpoints[networkName(project, nets[0])] = endpointConfig(s, nets[0], oneoff);

  const body: Record<string, any> = {
    Hostname: s.hostname,
    Domainname: s.domainname as string | undefined,
    User: s.user,
    Tty: Boolean(s.tty),
    OpenStdin: Boolean(s.stdin_open),
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Env: resolveEnv(project, s.environment),
    Cmd: s.command ?? undefined,
    Entrypoint: s.entrypoint ?? undefined,
    Image: serviceImage(project, s),
    WorkingDir: s.working_dir,
    Labels: containerLabels(input),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    StopSignal: s.stop_signal,
    StopTimeout: seconds(s.stop_grace_period),
    Healthcheck: healthcheck(s),
    HostConfig: {
      Binds: binds.length ? binds : undefined,
      Mounts: mounts.length ? mounts : undefined,
      NetworkMode: mode,
      PortBindings: Object.keys(bindings).length ? bindings : undefined,
      RestartPolicy: restart,
      Privileged: Boolean(s.privileged),
      ReadonlyRootfs: Boolean(s.read_only),
      CapAdd: s.cap_add?.length ? s.cap_add : undefined,
      CapDrop: s.cap_drop?.length ? s.cap_drop : undefined,
      Init: s.init,
      PidMode: s.pid,
      ShmSize: bytes(s.shm_size),
      Dns: s.dns?.length ? s.dns : undefined,
      ExtraHosts: s.extra_hosts?.length ? extraHosts(s.extra_hosts) : undefined,
      Tmpfs: Object.keys(tmpfs).length ? tmpfs : undefined,
      Ulimits: ulimits(s),
      LogConfig: s.logging
        ? { Type: s.logging.driver ?? 'json-file', Config: s.logging.options ?? {} }
        : undefined,
      NanoCpus: limits?.cpus !== undefined ? nanoCpus(String(limits.cpus)) : undefined,
      Memory: bytes(limits?.memory),
      MemoryReservation: bytes(reservations?.memory),
      PidsLimit: limits?.pids,
    },
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
  const extraNetworks = s.network_mode
    ? []
    : nets
        .slice(1)
        .map((key) => ({ name: networkName(project, key), config: endpointConfig(s, key, oneoff) }));
  return { name: input.name, body, extraNetworks, files: objects.files };
}
