// `berth info`: the daemon's /info plus the client's own facts, printed in
// docker's layout (cli/command/system/info.go prettyPrintInfo).
import { ApiError } from '../client/client.js';
import { API_VERSION } from '../api/version.js';
import { BERTH_VERSION, GIT_COMMIT } from '../version.js';
import type { CliContext } from './context.js';
import { bytesSize } from './format/units.js';
import { GO_TYPE } from './format/template.js';
import { sortedKeys } from './format/goprint.js';
import { quickGet } from './quick-get.js';
import { clientPlugins, type ClientPlugin } from './client-plugins.js';

export interface InfoData extends Record<string, any> {
  ClientInfo: Record<string, unknown>;
  ServerErrors?: string[];
}

class DockerInfo {
  get [GO_TYPE](): string {
    return 'system.dockerInfo';
  }
}

export async function infoData(ctx: CliContext): Promise<InfoData> {
  const plugins = clientPlugins();
  const serverInfo = quickGet<Record<string, any>>(ctx, '/info');
  serverInfo.catch(() => undefined); // handled below, after the plugins are listed
  const clientInfo = {
    Debug: false,
    Version: BERTH_VERSION,
    DefaultAPIVersion: API_VERSION,
    GitCommit: GIT_COMMIT,
    GoVersion: `node${process.versions.node}`,
    Os: 'linux',
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    Context: 'default',
    Plugins: await plugins,
    Warnings: null,
  };
  try {
    const server = await serverInfo;
    // docker 28's registry.ServiceConfig and IndexInfo declare their fields alphabetically.
    if (server.RegistryConfig) server.RegistryConfig = sortedKeys(server.RegistryConfig, true);
    // A Go struct to templates: unknown fields are errors, not "<no value>".
    return Object.assign(Object.create(DockerInfo.prototype) as InfoData, server, { ClientInfo: clientInfo });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return {
      ClientInfo: clientInfo,
      ServerErrors: [e.status === 0 ? e.message : `Error response from daemon: ${e.message}`],
    };
  }
}

/** The text of `docker info`, its warnings (for stderr) and a server error, if any. */
export function prettyInfo(d: InfoData): { out: string; warnings: string[]; failed?: string } {
  const lines: string[] = [];
  const p = (s: string): number => lines.push(s);
  const c = d.ClientInfo;
  p('Client:');
  p(` Version:    ${c.Version}`);
  p(` Context:    ${c.Context}`);
  p(` Debug Mode: ${c.Debug}`);
  const plugins = (c.Plugins ?? []) as ClientPlugin[];
  const pluginWarnings: string[] = [];
  if (plugins.length) {
    p(' Plugins:');
    for (const pl of plugins) {
      if (pl.Err) {
        pluginWarnings.push(`WARNING: Plugin "${pl.Path}" is not valid: ${pl.Err}`);
        continue;
      }
      p(`  ${pl.Name}: ${pl.ShortDescription} (${pl.Vendor})`);
      if (pl.Version) p(`    Version:  ${pl.Version}`);
      if (pl.Path) p(`    Path:     ${pl.Path}`);
    }
  }
  p('');
  p('Server:');
  if (d.ServerErrors) {
    return { out: lines.join('\n') + '\n', warnings: pluginWarnings, failed: d.ServerErrors.join('\n') };
  }
  p(` Containers: ${d.Containers}`);
  p(`  Running: ${d.ContainersRunning}`);
  p(`  Paused: ${d.ContainersPaused}`);
  p(`  Stopped: ${d.ContainersStopped}`);
  p(` Images: ${d.Images}`);
  p(` Server Version: ${d.ServerVersion}`);
  p(` Storage Driver: ${d.Driver}`);
  for (const [k, v] of (d.DriverStatus ?? []) as [string, string][]) p(`  ${k}: ${v}`);
  if (d.LoggingDriver) p(` Logging Driver: ${d.LoggingDriver}`);
  if (d.CgroupDriver) p(` Cgroup Driver: ${d.CgroupDriver}`);
  if (d.CgroupVersion) p(` Cgroup Version: ${d.CgroupVersion}`);
  p(' Plugins:');
  p(`  Volume: ${(d.Plugins?.Volume ?? []).join(' ')}`);
  p(`  Network: ${(d.Plugins?.Network ?? []).join(' ')}`);
  if (d.Plugins?.Authorization?.length) p(`  Authorization: ${d.Plugins.Authorization.join(' ')}`);
  p(`  Log: ${(d.Plugins?.Log ?? []).join(' ')}`);
  if (d.CDISpecDirs?.length) {
    p(' CDI spec directories:');
    for (const dir of d.CDISpecDirs) p(`  ${dir}`);
  }
  p(` Swarm: ${d.Swarm?.LocalNodeState ?? 'inactive'}`);
  const runtimes = Object.keys(d.Runtimes ?? {}).sort();
  if (runtimes.length) {
    p(` Runtimes: ${runtimes.join(' ')}`);
    p(` Default Runtime: ${d.DefaultRuntime}`);
  }
  if (d.OSType === 'linux') {
    p(` Init Binary: ${d.InitBinary}`);
    p(` containerd version: ${d.ContainerdCommit?.ID ?? ''}`);
    p(` runc version: ${d.RuncCommit?.ID ?? ''}`);
    p(` init version: ${d.InitCommit?.ID ?? ''}`);
    if (d.SecurityOptions?.length) {
      p(' Security Options:');
      for (const so of d.SecurityOptions as string[]) {
        const kv = Object.fromEntries(
          so.split(',').map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]),
        );
        p(`  ${kv.name}`);
        if (kv.profile) p(`   Profile: ${kv.profile}`);
      }
    }
  }
  if (d.KernelVersion) p(` Kernel Version: ${d.KernelVersion}`);
  if (d.OperatingSystem) p(` Operating System: ${d.OperatingSystem}`);
  if (d.OSType) p(` OSType: ${d.OSType}`);
  if (d.Architecture) p(` Architecture: ${d.Architecture}`);
  p(` CPUs: ${d.NCPU}`);
  p(` Total Memory: ${bytesSize(d.MemTotal ?? 0)}`);
  if (d.Name) p(` Name: ${d.Name}`);
  if (d.ID) p(` ID: ${d.ID}`);
  p(` Docker Root Dir: ${d.DockerRootDir}`);
  p(` Debug Mode: ${d.Debug}`);
  if (d.Debug) {
    p(`  File Descriptors: ${d.NFd}`);
    p(`  Goroutines: ${d.NGoroutines}`);
    p(`  System Time: ${d.SystemTime}`);
    p(`  EventsListeners: ${d.NEventsListener}`);
  }
  if (d.HttpProxy) p(` HTTP Proxy: ${d.HttpProxy}`);
  if (d.HttpsProxy) p(` HTTPS Proxy: ${d.HttpsProxy}`);
  if (d.NoProxy) p(` No Proxy: ${d.NoProxy}`);
  if (d.Labels?.length) {
    p(' Labels:');
    for (const l of d.Labels) p(`  ${l}`);
  }
  p(` Experimental: ${d.ExperimentalBuild}`);
  const reg = d.RegistryConfig;
  if (reg && ((reg.InsecureRegistryCIDRs ?? []).length || Object.keys(reg.IndexConfigs ?? {}).length)) {
    p(' Insecure Registries:');
    for (const name of Object.keys(reg.IndexConfigs ?? {}).sort())
      if (!reg.IndexConfigs[name].Secure) p(`  ${reg.IndexConfigs[name].Name}`);
    for (const cidr of reg.InsecureRegistryCIDRs ?? []) p(`  ${cidr}`);
  }
  if (reg?.Mirrors?.length) {
    p(' Registry Mirrors:');
    for (const m of reg.Mirrors) p(`  ${m}`);
  }
  p(` Live Restore Enabled: ${d.LiveRestoreEnabled}`);
  if (d.ProductLicense) p(` Product License: ${d.ProductLicense}`);
  if (d.DefaultAddressPools?.length) {
    p(' Default Address Pools:');
    for (const pool of d.DefaultAddressPools) p(`   Base: ${pool.Base}, Size: ${pool.Size}`);
  }
  p('');
  return { out: lines.join('\n') + '\n', warnings: [...pluginWarnings, ...((d.Warnings ?? []) as string[])] };
}
