// Daemon configuration: command-line flags over /etc/berth/daemon.json, with
// Docker's daemon.json key names where a key means the same thing.
import { readFileSync } from 'node:fs';
import { InvalidArgument } from '../api/errors.js';
import type { LogLevel } from '../util/log.js';

export interface RuntimeConfig {
  path: string;
  runtimeArgs?: string[];
}

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  logLevel: LogLevel;
  debug: boolean;
  group: string;
  runtimes: Record<string, RuntimeConfig>;
  defaultRuntime?: string;
  insecureRegistries: string[];
  registryMirrors: string[];
  labels: string[];
  bip?: string;
  defaultAddressPools?: { base: string; size: number }[];
  ipMasq: boolean;
  iptables: boolean;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  logOpts: Record<string, string>;
  /** Extra fields from daemon.json that berth does not interpret. */
  raw: Record<string, unknown>;
}

export const DEFAULT_SOCKET = 'unix:///run/berth/berth.sock';
export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

export function defaultConfig(): DaemonConfig {
  return {
    hosts: [],
    dataRoot: '/var/lib/berth',
    execRoot: '/run/berth',
    logLevel: 'info',
    debug: false,
    group: 'berth',
    runtimes: {},
    insecureRegistries: [],
    registryMirrors: [],
    labels: [],
    ipMasq: true,
    iptables: true,
    maxConcurrentDownloads: 3,
    maxConcurrentUploads: 5,
    logOpts: {},
    raw: {},
  };
}

/** Reads daemon.json; a missing file is fine unless it was named explicitly. */
export function readConfigFile(file: string, explicit: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw new InvalidArgument(`unable to read config file ${file}: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new InvalidArgument(`unable to configure the berth daemon with file ${file}: ${(e as Error).message}`);
  }
}

/** Applies daemon.json keys onto a config (flags are applied afterwards by the caller). */
export function applyConfigFile(cfg: DaemonConfig, json: Record<string, unknown>): DaemonConfig {
  const str = (k: string): string | undefined => (typeof json[k] === 'string' ? (json[k] as string) : undefined);
  const list = (k: string): string[] | undefined =>
    Array.isArray(json[k]) ? (json[k] as unknown[]).map(String) : undefined;
  cfg.raw = json;
  cfg.hosts = list('hosts') ?? cfg.hosts;
  cfg.dataRoot = str('data-root') ?? cfg.dataRoot;
  cfg.execRoot = str('exec-root') ?? cfg.execRoot;
  const level = str('log-level');
  if (level) cfg.logLevel = level as LogLevel;
  if (json.debug === true) cfg.debug = true;
  cfg.group = str('group') ?? cfg.group;
  if (json.runtimes && typeof json.runtimes === 'object') cfg.runtimes = json.runtimes as Record<string, RuntimeConfig>;
  cfg.defaultRuntime = str('default-runtime') ?? cfg.defaultRuntime;
  cfg.insecureRegistries = list('insecure-registries') ?? cfg.insecureRegistries;
  cfg.registryMirrors = list('registry-mirrors') ?? cfg.registryMirrors;
  cfg.labels = list('labels') ?? cfg.labels;
  cfg.bip = str('bip') ?? cfg.bip;
  if (Array.isArray(json['default-address-pools']))
    cfg.defaultAddressPools = json['default-address-pools'] as { base: string; size: number }[];
  if (typeof json['ip-masq'] === 'boolean') cfg.ipMasq = json['ip-masq'];
  if (typeof json.iptables === 'boolean') cfg.iptables = json.iptables;
  if (typeof json['max-concurrent-downloads'] === 'number')
    cfg.maxConcurrentDownloads = json['max-concurrent-downloads'];
  if (typeof json['max-concurrent-uploads'] === 'number') cfg.maxConcurrentUploads = json['max-concurrent-uploads'];
  if (json['log-opts'] && typeof json['log-opts'] === 'object') cfg.logOpts = json['log-opts'] as Record<string, string>;
  return cfg;
}
