// The docker CLI plugins `docker info` lists under Client: executables named
// docker-<name> in the user's and the system's cli-plugins directories, each
// asked for its metadata (`docker-<name> docker-cli-plugin-metadata`). berth
// lists the same ones so `berth info` reads like `docker info` on this host.
import { execFile } from 'node:child_process';
import { accessSync, constants, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Field order as the docker CLI marshals it: metadata, then Name, Path, and Err for an invalid one. */
export interface ClientPlugin {
  SchemaVersion?: string;
  Vendor?: string;
  Version?: string;
  ShortDescription?: string;
  Name: string;
  Path: string;
  Err?: string;
}

const SYSTEM_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
];
const PREFIX = 'docker-';
const VALID = /^[a-z][a-z0-9]*$/;

function pluginDirs(env: NodeJS.ProcessEnv): string[] {
  const config = env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
  return [path.join(config, 'cli-plugins'), ...SYSTEM_DIRS];
}

/** name → path, the first directory winning, as the docker CLI resolves them. */
function candidates(env: NodeJS.ProcessEnv): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of pluginDirs(env)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of names) {
      const name = f.slice(PREFIX.length);
      if (!f.startsWith(PREFIX) || !name || found.has(name)) continue;
      const p = path.join(dir, f);
      try {
        accessSync(p, constants.F_OK);
      } catch {
        continue; // a dangling link is no candidate
      }
      found.set(name, p);
    }
  }
  return found;
}

/** Go's text for a failed exec, as the docker CLI reports it. */
function execErrorText(file: string, err: { code?: unknown; message: string }): string {
  if (err.code === 'EACCES') return `fork/exec ${file}: permission denied`;
  if (err.code === 'ENOENT') return `fork/exec ${file}: no such file or directory`;
  return err.message;
}

function metadata(name: string, file: string): Promise<ClientPlugin> {
  if (!VALID.test(name)) {
    return Promise.resolve({ Name: name, Path: file, Err: `plugin candidate "${name}" did not match "${VALID.source}"` });
  }
  return new Promise((resolve) => {
    execFile(file, ['docker-cli-plugin-metadata'], { timeout: 10_000 }, (err, stdout) => {
      if (err && typeof err.code === 'string') {
        return resolve({ Name: name, Path: file, Err: `failed to fetch metadata: ${execErrorText(file, err)}` });
      }
      try {
        const m = JSON.parse(stdout) as Partial<ClientPlugin>;
        resolve({
          SchemaVersion: m.SchemaVersion ?? '',
          Vendor: m.Vendor ?? '',
          Version: m.Version ?? '',
          ShortDescription: m.ShortDescription ?? '',
          Name: name,
          Path: file,
        });
      } catch (e) {
        resolve({ Name: name, Path: file, Err: `invalid metadata: ${(e as Error).message}` });
      }
    });
  });
}

/** Every candidate sorted by name; invalid ones carry Err (docker info warns about them). */
export async function clientPlugins(env: NodeJS.ProcessEnv = process.env): Promise<ClientPlugin[]> {
  const found = [...candidates(env)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(found.map(([name, file]) => metadata(name, file)));
}
