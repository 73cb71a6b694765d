// The docker CLI plugin protocol: docker runs `docker-compose
// docker-cli-plugin-metadata` to list the plugin, then `docker-compose
// [docker's global flags] compose …` for `docker compose …`, with
// DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND set. The engine is the one the docker
// CLI would use: -H, then DOCKER_HOST, then the current context, then
// docker's default socket.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERTH_VERSION } from '../version.js';

export const PLUGIN_METADATA = {
  SchemaVersion: '0.1.0',
  Vendor: 'berth',
  Version: BERTH_VERSION,
  ShortDescription: 'Docker Compose',
};

/** docker's global flags that take a value (berth's own -H/-l are kept for its parser). */
const DOCKER_VALUE_FLAGS = new Set(['--config', '-c', '--context', '--tlscacert', '--tlscert', '--tlskey']);
const DOCKER_BOOL_FLAGS = new Set(['--tls', '--tlsverify']);

function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

/** The endpoint of a docker context, read from its meta.json (contexts/meta/<sha256(name)>/). */
export function contextHost(configDir: string, name: string): string | undefined {
  if (!name || name === 'default') return undefined;
  const dir = createHash('sha256').update(name).digest('hex');
  try {
    const meta = JSON.parse(readFileSync(path.join(configDir, 'contexts', 'meta', dir, 'meta.json'), 'utf8'));
    return meta?.Endpoints?.docker?.Host as string | undefined;
  } catch {
    throw new Error(`context "${name}" does not exist`);
  }
}

function currentContext(configDir: string, env: NodeJS.ProcessEnv, flag?: string): string {
  if (flag) return flag;
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  try {
    return (
      (JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')).currentContext as string) ??
      'default'
    );
  } catch {
    return 'default';
  }
}

/**
 * Turns the process's argv into the one berth parses. As a docker plugin:
 * answers the metadata call (and exits), drops docker-only global flags, and
 * points berth at docker's engine. Otherwise argv is returned unchanged.
 */
export function pluginArgv(argv: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  if (argv[2] === 'docker-cli-plugin-metadata') {
    process.stdout.write(JSON.stringify(PLUGIN_METADATA, null, 2) + '\n');
    process.exit(0);
  }
  if (!env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND) return argv;
  const out = argv.slice(0, 2);
  let host: string | undefined;
  let context: string | undefined;
  let configDir = dockerConfigDir(env);
  let i = 2;
  for (; i < argv.length && argv[i] !== 'compose'; i++) {
    const a = argv[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = (): string => inline ?? argv[++i] ?? '';
    if (flag === '-H' || flag === '--host') host = value();
    else if (flag === '-c' || flag === '--context') context = value();
    else if (flag === '--config') configDir = value();
    else if (DOCKER_VALUE_FLAGS.has(flag)) value();
    else if (DOCKER_BOOL_FLAGS.has(flag)) continue;
    else out.push(a);
  }
  out.push(...argv.slice(i));
  host ??=
    env.DOCKER_HOST ||
    contextHost(configDir, currentContext(configDir, env, context)) ||
    'unix:///var/run/docker.sock';
  // The docker CLI's choice wins over berth's own default.
  env.BERTH_HOST = host;
  env.DOCKER_HOST = host;
  return out;
}
