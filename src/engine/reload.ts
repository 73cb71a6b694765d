// SIGHUP: re-read daemon.json and apply the keys dockerd can change without
// a restart, then publish the `daemon reload` event (as dockerd does). Keys
// that need a restart (hosts, data-root, …) are left as they are.
import { hostname } from 'node:os';
import type { Daemon } from './daemon.js';
import { applyConfigFile, defaultConfig } from './config.js';
import type { LogLevel } from '../util/log.js';

export function reloadDaemonConfig(
  daemon: Daemon,
  json: Record<string, unknown>,
  setLogLevel: (l: LogLevel) => void,
): void {
  const next = applyConfigFile(defaultConfig(), json);
  const cfg = daemon.config;
  // As dockerd: only keys present in the file change; flags and absent keys stay.
  const has = (k: string): boolean => json[k] !== undefined;
  if (has('debug')) cfg.debug = next.debug;
  if (has('log-level')) cfg.logLevel = next.logLevel;
  else if (has('debug')) cfg.logLevel = cfg.debug ? 'debug' : 'info';
  if (has('labels')) cfg.labels = next.labels;
  if (has('registry-mirrors')) cfg.registryMirrors = next.registryMirrors;
  if (has('insecure-registries')) cfg.insecureRegistries = next.insecureRegistries;
  if (has('max-concurrent-downloads')) cfg.maxConcurrentDownloads = next.maxConcurrentDownloads;
  if (has('max-concurrent-uploads')) cfg.maxConcurrentUploads = next.maxConcurrentUploads;
  if (has('runtimes')) cfg.runtimes = next.runtimes;
  if (has('default-runtime')) cfg.defaultRuntime = next.defaultRuntime;
  setLogLevel(cfg.logLevel);

  daemon.events.publish('daemon', 'reload', daemon.id, {
    debug: String(cfg.debug),
    'default-runtime': cfg.defaultRuntime ?? 'runc',
    'insecure-registries': `[${cfg.insecureRegistries.join(', ')}]`,
    labels: `[${cfg.labels.join(', ')}]`,
    'max-concurrent-downloads': String(cfg.maxConcurrentDownloads),
    'max-concurrent-uploads': String(cfg.maxConcurrentUploads),
    name: hostname(),
    'registry-mirrors': `[${cfg.registryMirrors.join(', ')}]`,
    runtimes: ['runc', ...Object.keys(cfg.runtimes).filter((r) => r !== 'runc')].join(', '),
  });
}
