// `run`/`create` flags and their translation into the Engine API create body,
// exactly as the docker CLI builds it (cli/command/container/opts.go). Pure:
// the environment, file reads and cwd come in as arguments.
import path from 'node:path';
import { type FlagDef, FlagError, type ParsedFlags } from './containers-flags.js';
import {
  effectiveCaps,
  expandEnv,
  kvToMap,
  memSwapBytes,
  nanoCpus,
  parseDuration,
  parseExpose,
  parseInt64,
  parseKeyValueFile,
  parsePublish,
  parseRestartPolicy,
  parseUlimit,
  ramInBytes,
  splitCsv,
  validateExtraHost,
  validateIP,
  validateSysctl,
} from './containers-units.js';

const str = (long: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ long, kind: 'string', usage, ...extra });
const list = (long: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ long, kind: 'list', usage, ...extra });
const bool = (long: string, usage: string, extra: Partial<FlagDef> = {}): FlagDef => ({ long, kind: 'bool', usage, ...extra });
const bytes = { valueName: 'bytes', check: (v: string) => void ramInBytes(v) };
const duration = { valueName: 'duration', check: (v: string) => void parseDuration(v) };
const int = { valueName: 'int', check: (v: string) => void parseInt64(v) };

/** Flags shared by `create` and `run`. */
export const CREATE_FLAGS: FlagDef[] = [
  list('add-host', 'Add a custom host-to-IP mapping (host:ip)', { check: (v) => void validateExtraHost(v) }),
  list('attach', 'Attach to STDIN, STDOUT or STDERR', {
    short: 'a',
    check: (v) => {
      if (!['stdin', 'stdout', 'stderr'].includes(v.toLowerCase())) throw new Error('valid streams are STDIN, STDOUT and STDERR');
    },
  }),
  list('cap-add', 'Add Linux capabilities'),
  list('cap-drop', 'Drop Linux capabilities'),
  str('cgroupns', 'Cgroup namespace to use (host|private)'),
  str('cidfile', 'Write the container ID to the file'),
  str('cpu-shares', 'CPU shares (relative weight)', { short: 'c', ...int }),
  str('cpus', 'Number of CPUs', { valueName: 'decimal', check: (v) => void nanoCpus(v) }),
  str('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
  str('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
  list('device', 'Add a host device to the container'),
  list('dns', 'Set custom DNS servers', { check: (v) => void validateIP(v) }),
  list('dns-option', 'Set DNS options'),
  list('dns-search', 'Set custom DNS search domains'),
  str('domainname', 'Container NIS domain name'),
  str('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
  list('env', 'Set environment variables', { short: 'e' }),
  list('env-file', 'Read in a file of environment variables'),
  list('expose', 'Expose a port or a range of ports'),
  list('group-add', 'Add additional groups to join'),
  str('health-cmd', 'Command to run to check health'),
  str('health-interval', 'Time between running the check (ms|s|m|h) (default 0s)', duration),
  str('health-retries', 'Consecutive failures needed to report unhealthy', int),
  str('health-start-interval', 'Time between running the check during the start period (ms|s|m|h) (default 0s)', duration),
  str('health-start-period', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)', duration),
  str('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)', duration),
  bool('help', 'Print usage'),
  str('hostname', 'Container host name', { short: 'h' }),
  bool('init', 'Run an init inside the container that forwards signals and reaps processes'),
  bool('interactive', 'Keep STDIN open even if not attached', { short: 'i' }),
  str('ip', 'IPv4 address (e.g., 172.30.100.104)'),
  str('ipc', 'IPC mode to use'),
  list('label', 'Set meta data on a container', { short: 'l' }),
  list('label-file', 'Read in a line delimited file of labels'),
  str('log-driver', 'Logging driver for the container'),
  list('log-opt', 'Log driver options'),
  str('memory', 'Memory limit', { short: 'm', ...bytes }),
  str('memory-reservation', 'Memory soft limit', bytes),
  str('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", { valueName: 'bytes', check: (v) => void memSwapBytes(v) }),
  list('mount', 'Attach a filesystem mount to the container', { valueName: 'mount', check: (v) => void parseMount(v) }),
  str('name', 'Assign a name to the container'),
  list('network', 'Connect a container to a network', { valueName: 'network' }),
  list('net', 'Connect a container to a network', { valueName: 'network', hidden: true }),
  list('network-alias', 'Add network-scoped alias for the container'),
  bool('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
  bool('oom-kill-disable', 'Disable OOM Killer'),
  str('pid', 'PID namespace to use'),
  str('pids-limit', 'Tune container pids limit (set -1 for unlimited)', int),
  str('platform', 'Set platform if server is multi-platform capable'),
  bool('privileged', 'Give extended privileges to this container'),
  list('publish', "Publish a container's port(s) to the host", { short: 'p' }),
  bool('publish-all', 'Publish all exposed ports to random ports', { short: 'P' }),
  str('pull', 'Pull image before creating ("always", "missing", "never")', { defaultValue: 'missing' }),
  bool('quiet', 'Suppress the pull output', { short: 'q' }),
  bool('read-only', "Mount the container's root filesystem as read only"),
  str('restart', 'Restart policy to apply when a container exits', { defaultValue: 'no' }),
  bool('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
  list('security-opt', 'Security Options'),
  str('shm-size', 'Size of /dev/shm', bytes),
  str('stop-signal', 'Signal to stop the container'),
  str('stop-timeout', 'Timeout (in seconds) to stop a container', int),
  list('sysctl', 'Sysctl options', { valueName: 'map', check: (v) => void validateSysctl(v) }),
  list('tmpfs', 'Mount a tmpfs directory'),
  bool('tty', 'Allocate a pseudo-TTY', { short: 't' }),
  list('ulimit', 'Ulimit options', { valueName: 'ulimit', check: (v) => void parseUlimit(v) }),
  str('user', 'Username or UID (format: <name|uid>[:<group|gid>])', { short: 'u' }),
  str('userns', 'User namespace to use'),
  str('uts', 'UTS namespace to use'),
  list('volume', 'Bind mount a volume', { short: 'v' }),
  str('volume-driver', 'Optional volume driver for the container'),
  list('volumes-from', 'Mount volumes from the specified container(s)'),
  str('workdir', 'Working directory inside the container', { short: 'w' }),
];

/** `run` adds the flags about the foreground session. */
export const RUN_FLAGS: FlagDef[] = [
  ...CREATE_FLAGS,
  bool('detach', 'Run container in background and print container ID', { short: 'd' }),
  str('detach-keys', 'Override the key sequence for detaching a container'),
  bool('sig-proxy', 'Proxy received signals to the process', { defaultValue: true }),
];

export interface CreateInputs {
  env: Record<string, string | undefined>;
  readFile: (file: string) => string;
  cwd: string;
}

export interface CreateRequest {
  name?: string;
  platform?: string;
  pull: string;
  image: string;
  body: Record<string, any>;
}

/** --mount type=bind,source=/a,target=/b,readonly (docker's MountOpt.Set). */
export function parseMount(value: string): Record<string, any> {
  const m: Record<string, any> = { Type: 'volume' };
  const volumeOptions = (): Record<string, any> => {
    m.VolumeOptions ??= {};
    m.VolumeOptions.DriverConfig ??= {};
    return m.VolumeOptions;
  };
  const boolOf = (key: string, v: string | undefined): boolean => {
    if (v === undefined) return true;
    const b = ({ '1': true, true: true, TRUE: true, True: true, t: true, '0': false, false: false, FALSE: false, False: false, f: false } as Record<string, boolean>)[v];
    if (b === undefined) throw new Error(`invalid value for ${key}: ${v}`);
    return b;
  };
  for (const field of splitCsv(value)) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : undefined;
    if (val === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive'].includes(key))
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    switch (key) {
      case 'type':
        m.Type = val!.toLowerCase();
        break;
      case 'source':
      case 'src':
        m.Source = val;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = boolOf(key, val);
        break;
      case 'consistency':
        m.Consistency = val;
        break;
      case 'bind-propagation':
        m.BindOptions = { ...m.BindOptions, Propagation: val };
        break;
      case 'bind-nonrecursive':
        m.BindOptions = { ...m.BindOptions, NonRecursive: boolOf(key, val) };
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = boolOf(key, val);
        break;
      case 'volume-label': {
        const [k, v = ''] = val!.split(/=(.*)/s);
        volumeOptions().Labels = { ...volumeOptions().Labels, [k!]: v };
        break;
      }
      case 'volume-driver':
        volumeOptions().DriverConfig.Name = val;
        break;
      case 'volume-opt': {
        const [k, v = ''] = val!.split(/=(.*)/s);
        const dc = volumeOptions().DriverConfig;
        dc.Options = { ...dc.Options, [k!]: v };
        break;
      }
      case 'tmpfs-size':
        m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(val!) };
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val!)) throw new Error(`invalid value for ${key}: ${val}`);
        m.TmpfsOptions = { ...m.TmpfsOptions, Mode: Number.parseInt(val!, 8) };
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}

function healthcheck(f: ParsedFlags): Record<string, any> | undefined {
  const timed = ['health-interval', 'health-timeout', 'health-start-period', 'health-start-interval'];
  const any = f.has('health-cmd') || f.has('health-retries') || timed.some((k) => f.has(k));
  if (f.bool('no-healthcheck')) {
    if (any) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  const hc: Record<string, any> = {};
  if (f.string('health-cmd')) hc.Test = ['CMD-SHELL', f.string('health-cmd')];
  const fields: Record<string, string> = {
    'health-interval': 'Interval',
    'health-timeout': 'Timeout',
    'health-start-period': 'StartPeriod',
    'health-start-interval': 'StartInterval',
  };
  for (const k of timed) {
    if (!f.has(k)) continue;
    const ns = parseDuration(f.string(k));
    if (ns < 0) throw new Error(`--${k} cannot be negative`);
    if (ns) hc[fields[k]!] = ns;
  }
  if (f.has('health-retries')) {
    const r = parseInt64(f.string('health-retries'));
    if (r < 0) throw new Error('--health-retries cannot be negative');
    if (r) hc.Retries = r;
  }
  return hc;
}

/** -v specs: destinations alone are anonymous volumes, the rest are binds. */
function splitVolumes(specs: string[], cwd: string): { binds: string[]; volumes: Record<string, object> } {
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of specs) {
    if (!spec.includes(':')) {
      volumes[spec] = {};
      continue;
    }
    const colon = spec.indexOf(':');
    const host = spec.slice(0, colon);
    // Relative host paths ("./data") are resolved on the client, as docker does.
    binds.push(!path.isAbsolute(host) && host.startsWith('.') ? path.resolve(cwd, host) + spec.slice(colon) : spec);
  }
  return { binds, volumes };
}

function securityOpts(opts: string[], readFile: (f: string) => string): string[] {
  return opts.map((o) => {
    const eq = o.indexOf('=');
    const colon = o.indexOf(':');
    const sep = eq >= 0 ? eq : colon;
    if (sep < 0) {
      if (o === 'no-new-privileges') return o;
      throw new Error(`Invalid --security-opt: "${o}"`);
    }
    const [k, v] = [o.slice(0, sep), o.slice(sep + 1)];
    // A seccomp profile path is read on the client and sent inline.
    if (k === 'seccomp' && v !== 'unconfined' && v !== 'builtin') {
      let content: string;
      try {
        content = readFile(v);
      } catch {
        throw new Error(`opening seccomp profile (${v}) failed: open ${v}: no such file or directory`);
      }
      return `seccomp=${JSON.stringify(JSON.parse(content))}`;
    }
    return o;
  });
}

function readKvFiles(files: string[], readFile: (f: string) => string, lookup?: (k: string) => string | undefined): string[] {
  const out: string[] = [];
  for (const file of files) {
    let content: string;
    try {
      content = readFile(file);
    } catch (e) {
      throw new Error(`open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    out.push(...parseKeyValueFile(file, content, lookup));
  }
  return out;
}

/**
 * Builds `POST /containers/create` from parsed `run`/`create` flags. Errors
 * thrown here are the CLI's validation errors (exit 125).
 */
export function buildCreateRequest(f: ParsedFlags, inputs: CreateInputs, mode: 'run' | 'create'): CreateRequest {
  const [image, ...cmd] = f.args;
  if (!image) throw new FlagError('requires at least 1 argument');
  const detach = mode === 'run' && f.bool('detach');
  const attach = f.list('attach').map((s) => s.toLowerCase());
  if (detach && attach.length) throw new Error('conflicting options: cannot specify both --attach and --detach');
  const restart = parseRestartPolicy(f.string('restart'));
  if (f.bool('rm') && restart.Name !== 'no' && restart.Name !== '')
    throw new Error('conflicting options: cannot specify both --restart and --rm');

  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (!detach && attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
    if (f.bool('interactive')) attachStdin = true;
  }

  const env = [
    ...readKvFiles(f.list('env-file'), inputs.readFile, (k) => inputs.env[k]),
    ...f.list('env').map((e) => expandEnv(e, inputs.env)),
  ];
  const labels = kvToMap([...readKvFiles(f.list('label-file'), inputs.readFile), ...f.list('label')]);

  const exposed: Record<string, object> = {};
  const pub = parsePublish(f.list('publish'));
  Object.assign(exposed, pub.exposed);
  for (const e of f.list('expose')) for (const p of parseExpose(e)) exposed[p] = {};

  const { binds, volumes } = splitVolumes(f.list('volume'), inputs.cwd);
  const caps = effectiveCaps(f.list('cap-add'), f.list('cap-drop'));

  const tmpfs: Record<string, string> = {};
  for (const t of f.list('tmpfs')) {
    const colon = t.indexOf(':');
    if (colon >= 0) tmpfs[t.slice(0, colon)] = t.slice(colon + 1);
    else tmpfs[t] = '';
  }

  let entrypoint: string[] | null = null;
  if (f.string('entrypoint')) entrypoint = [f.string('entrypoint')];
  else if (f.has('entrypoint')) entrypoint = [''];

  const networks = [...f.list('network'), ...f.list('net')];
  const networkMode = networks[0] ?? 'default';
  const endpoints: Record<string, any> = {};
  const aliases = f.list('network-alias');
  if (networks.length === 0) endpoints.default = {};
  networks.forEach((n, i) => {
    if (n in endpoints) throw new Error(`network "${n}" is specified multiple times`);
    const ep: Record<string, any> = {};
    if (i === 0 && aliases.length) ep.Aliases = aliases;
    if (i === 0 && f.string('ip')) ep.IPAMConfig = { IPv4Address: f.string('ip') };
    // A single network without options is left to the daemon, as docker does.
    if (networks.length === 1 && Object.keys(ep).length === 0) return;
    endpoints[n] = ep;
  });

  const host: Record<string, any> = {
    Binds: binds.length ? binds : null,
    LogConfig: { Type: f.string('log-driver'), Config: kvToMap(f.list('log-opt')) },
    NetworkMode: networkMode,
    PortBindings: pub.bindings,
    RestartPolicy: restart,
    AutoRemove: f.bool('rm'),
    VolumeDriver: f.string('volume-driver'),
    VolumesFrom: f.list('volumes-from').length ? f.list('volumes-from') : null,
    CapAdd: caps.add.length ? caps.add : null,
    CapDrop: caps.drop.length ? caps.drop : null,
    CgroupnsMode: f.string('cgroupns'),
    Dns: f.list('dns'),
    DnsOptions: f.list('dns-option'),
    DnsSearch: f.list('dns-search'),
    ExtraHosts: f.list('add-host').length ? f.list('add-host').map(validateExtraHost) : null,
    GroupAdd: f.list('group-add').length ? f.list('group-add') : null,
    IpcMode: f.string('ipc'),
    PidMode: f.string('pid'),
    Privileged: f.bool('privileged'),
    PublishAllPorts: f.bool('publish-all'),
    ReadonlyRootfs: f.bool('read-only'),
    SecurityOpt: f.list('security-opt').length ? securityOpts(f.list('security-opt'), inputs.readFile) : null,
    UTSMode: f.string('uts'),
    UsernsMode: f.string('userns'),
    ShmSize: f.string('shm-size') ? ramInBytes(f.string('shm-size')) : 0,
    CpuShares: f.string('cpu-shares') ? parseInt64(f.string('cpu-shares')) : 0,
    Memory: f.string('memory') ? ramInBytes(f.string('memory')) : 0,
    NanoCpus: f.string('cpus') ? nanoCpus(f.string('cpus')) : 0,
    CpusetCpus: f.string('cpuset-cpus'),
    CpusetMems: f.string('cpuset-mems'),
    MemoryReservation: f.string('memory-reservation') ? ramInBytes(f.string('memory-reservation')) : 0,
    MemorySwap: f.string('memory-swap') ? memSwapBytes(f.string('memory-swap')) : 0,
    MemorySwappiness: -1,
    OomKillDisable: f.bool('oom-kill-disable'),
    PidsLimit: f.has('pids-limit') ? parseInt64(f.string('pids-limit')) : 0,
    Ulimits: f.list('ulimit').map(parseUlimit),
    ConsoleSize: [0, 0],
  };
  if (Object.keys(tmpfs).length) host.Tmpfs = tmpfs;
  if (f.list('sysctl').length) host.Sysctls = kvToMap(f.list('sysctl'));
  if (f.list('mount').length) host.Mounts = f.list('mount').map(parseMount);
  if (f.has('init')) host.Init = f.bool('init');

  const body: Record<string, any> = {
    Hostname: f.string('hostname'),
    Domainname: f.string('domainname'),
    User: f.string('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    Tty: f.bool('tty'),
    OpenStdin: f.bool('interactive'),
    StdinOnce: f.bool('interactive') && attachStdin,
    Env: env.length ? env : null,
    Cmd: cmd.length ? cmd : null,
    Image: image,
    Volumes: volumes,
    WorkingDir: f.string('workdir'),
    Entrypoint: entrypoint,
    Labels: labels,
    HostConfig: host,
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
  if (Object.keys(exposed).length) body.ExposedPorts = exposed;
  const hc = healthcheck(f);
  if (hc) body.Healthcheck = hc;
  if (f.string('stop-signal')) body.StopSignal = f.string('stop-signal');
  if (f.has('stop-timeout')) body.StopTimeout = parseInt64(f.string('stop-timeout'));

  const pull = f.string('pull');
  if (!['always', 'missing', 'never'].includes(pull))
    throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  return {
    name: f.string('name') || undefined,
    platform: f.string('platform') || undefined,
    pull,
    image,
    body,
  };
}
