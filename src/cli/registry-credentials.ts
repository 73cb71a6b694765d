// Credentials the way the docker CLI keeps them: config.json in
// $BERTH_CONFIG, $DOCKER_CONFIG or ~/.docker, with `auths` (base64
// user:pass), `credsStore` for every registry and `credHelpers` per
// registry (docker-credential-<name> get/store/erase, JSON on stdin/stdout).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuthConfig } from '../distribution/auth.js';
import { credentialKey, DOCKER_HUB_INDEX } from '../distribution/endpoints.js';

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; email?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export function configDir(env = process.env): string {
  return env.BERTH_CONFIG || env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');
}

export function configPath(env = process.env): string {
  return path.join(configDir(env), 'config.json');
}

function load(file: string): ConfigFile {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ConfigFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`loading config file: ${file}: ${(e as Error).message}`);
  }
}

function save(file: string, cfg: ConfigFile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

function helperFor(cfg: ConfigFile, key: string): string | undefined {
  return cfg.credHelpers?.[key] ?? cfg.credsStore;
}

function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): string {
  const r = spawnSync(`docker-credential-${helper}`, [action], { input, encoding: 'utf8' });
  if (r.error) throw new Error(`error getting credentials - err: ${r.error.message}`);
  if (r.status !== 0) {
    const out = (r.stdout || r.stderr).trim();
    if (action === 'get' && /credentials not found/i.test(out)) return '';
    if (action === 'erase' && /not found/i.test(out)) return '';
    throw new Error(
      `error ${action === 'get' ? 'getting' : action === 'store' ? 'storing' : 'erasing'} credentials - err: exit status ${r.status}, out: \`${out}\``,
    );
  }
  return r.stdout;
}

export class CredentialStore {
  constructor(readonly file = configPath()) {}

  /** Credentials for a registry domain (`docker.io`, `localhost:5000`), or undefined. */
  get(domain: string): AuthConfig | undefined {
    const key = credentialKey(domain);
    const cfg = load(this.file);
    const helper = helperFor(cfg, key);
    if (helper) {
      const out = runHelper(helper, 'get', key);
      if (!out.trim()) return undefined;
      const j = JSON.parse(out) as { Username?: string; Secret?: string };
      if (j.Username === '<token>') return { identitytoken: j.Secret, serveraddress: key };
      return { username: j.Username, password: j.Secret, serveraddress: key };
    }
    const entry = cfg.auths?.[key] ?? (key === DOCKER_HUB_INDEX ? undefined : cfg.auths?.[`https://${key}`]);
    if (!entry) return undefined;
    const out: AuthConfig = { serveraddress: key };
    if (entry.auth) {
      const text = Buffer.from(entry.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      out.username = text.slice(0, i);
      out.password = text.slice(i + 1);
    }
    if (entry.identitytoken) out.identitytoken = entry.identitytoken;
    return out.username || out.identitytoken ? out : undefined;
  }

  store(domain: string, a: AuthConfig): void {
    const key = credentialKey(domain);
    const cfg = load(this.file);
    const helper = helperFor(cfg, key);
    if (helper) {
      const secret = a.identitytoken || a.password || '';
      const user = a.identitytoken ? '<token>' : (a.username ?? '');
      runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: user, Secret: secret }));
      cfg.auths = { ...cfg.auths, [key]: {} };
    } else {
      const entry: { auth: string; identitytoken?: string } = {
        auth: Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64'),
      };
      if (a.identitytoken) entry.identitytoken = a.identitytoken;
      cfg.auths = { ...cfg.auths, [key]: entry };
    }
    save(this.file, cfg);
  }

  /** Removes credentials; false when there were none. */
  erase(domain: string): boolean {
    const key = credentialKey(domain);
    const cfg = load(this.file);
    const had = !!cfg.auths?.[key];
    const helper = helperFor(cfg, key);
    if (helper) runHelper(helper, 'erase', key);
    if (cfg.auths) delete cfg.auths[key];
    if (had) save(this.file, cfg);
    return had || !!helper;
  }

  /** True when credentials go to a helper (no plaintext warning). */
  usesHelper(domain: string): boolean {
    return !!helperFor(load(this.file), credentialKey(domain));
  }
}

/** The X-Registry-Auth header the docker CLI sends for a registry domain (`{}` when anonymous). */
export function registryAuthHeader(domain: string): Record<string, string> {
  const a = new CredentialStore().get(domain);
  return { 'X-Registry-Auth': Buffer.from(JSON.stringify(a ?? {})).toString('base64url') };
}
