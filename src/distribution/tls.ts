// Per-registry TLS material in Docker's certs.d layout:
//   <certs.d>/<host:port>/*.crt          extra CA roots (added to the system ones)
//   <certs.d>/<host:port>/*.cert + .key  a client certificate
// A registry with a certs.d directory is always verified against it, even
// when it is insecure by default (loopback), so a configured CA means something.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';

export const DEFAULT_CERTS_DIR = '/etc/berth/certs.d';

export interface TlsMaterial {
  ca?: string[];
  cert?: string;
  key?: string;
}

/** Reads `<certsDir>/<host>`; null when there is no such directory. */
export function readCertsDir(certsDir: string, host: string): TlsMaterial | null {
  const dir = path.join(certsDir, host.replace(/:/g, ':'));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const out: TlsMaterial = {};
  for (const n of names.sort()) {
    const file = path.join(dir, n);
    if (n.endsWith('.crt')) (out.ca ??= []).push(readFileSync(file, 'utf8'));
    else if (n.endsWith('.cert')) {
      const key = file.slice(0, -'.cert'.length) + '.key';
      out.cert = readFileSync(file, 'utf8');
      try {
        out.key = readFileSync(key, 'utf8');
      } catch {
        throw new Error(`missing key ${path.basename(key)} for client certificate ${n}`);
      }
    }
  }
  return out;
}

/** Keep-alive agents per (host, verification) so layer fetches reuse connections. */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly certsDir: string) {}

  agentFor(url: URL, skipVerify: boolean, host: string): http.Agent {
    const material = url.protocol === 'https:' ? readCertsDir(this.certsDir, host) : null;
    const verify = url.protocol === 'https:' && (!skipVerify || material !== null);
    const key = `${url.protocol}//${url.host}|${verify}|${material ? 'c' : ''}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const opts = { keepAlive: true, maxSockets: 16 };
      agent =
        url.protocol === 'https:'
          ? new https.Agent({
              ...opts,
              rejectUnauthorized: verify,
              ca: material?.ca ? [...tls.rootCertificates, ...material.ca] : undefined,
              cert: material?.cert,
              key: material?.key,
            })
          : new http.Agent(opts);
      this.agents.set(key, agent);
    }
    return agent;
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}
