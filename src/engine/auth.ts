// The registry service: endpoints for a registry domain (mirrors, insecure
// registries, certs.d), clients carrying the caller's credentials, and
// `POST /auth` (docker login), which checks credentials against the registry.
import { Unauthorized, Unavailable } from '../api/errors.js';
import type { AuthConfig } from '../distribution/auth.js';
import { RegistryClient, RegistryError, TransportError } from '../distribution/client.js';
import {
  endpointsFor,
  serverDomain,
  type Endpoint,
  type RegistryOptions,
} from '../distribution/endpoints.js';
import { AgentPool, DEFAULT_CERTS_DIR } from '../distribution/tls.js';

/** The daemon config itself, so a SIGHUP reload of mirrors/insecure registries applies at once. */
export interface RegistryServiceOptions extends RegistryOptions {
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
}

export class RegistryService {
  readonly agents: AgentPool;

  constructor(
    readonly options: RegistryServiceOptions,
    certsDir = DEFAULT_CERTS_DIR,
  ) {
    this.agents = new AgentPool(certsDir);
  }

  endpoints(domain: string): Endpoint[] {
    return endpointsFor(domain, this.options);
  }

  client(endpoint: Endpoint, auth: AuthConfig | undefined, scopes: string[]): RegistryClient {
    // Credentials for Docker Hub are not sent to a mirror.
    return new RegistryClient(endpoint, this.agents, endpoint.mirror ? undefined : auth, scopes);
  }

  /**
   * Runs `fn` against each endpoint in turn: a transport failure (or any
   * failure of a mirror) moves on to the next; the last error is thrown.
   */
  async withEndpoint<T>(
    domain: string,
    auth: AuthConfig | undefined,
    scopes: string[],
    fn: (client: RegistryClient) => Promise<T>,
  ): Promise<T> {
    const eps = this.endpoints(domain);
    let last: unknown;
    for (let i = 0; i < eps.length; i++) {
      try {
        return await fn(this.client(eps[i], auth, scopes));
      } catch (e) {
        last = e;
        const more = i < eps.length - 1;
        if (more && (e instanceof TransportError || eps[i].mirror)) continue;
        throw e;
      }
    }
    throw last;
  }

  /** docker login: checks the credentials; returns Docker's answer. */
  async login(auth: AuthConfig): Promise<{ Status: string; IdentityToken: string }> {
    const domain = serverDomain(auth.serveraddress ?? '');
    try {
      await this.withEndpoint(domain, auth, [], async (client) => {
        const url = client.url('/v2/');
        // A bearer registry: a token for no scope proves the password; a Basic one: GET /v2/ with it.
        const res = await client.send('GET', '/v2/', { ok: () => true });
        res.resume();
        if (res.statusCode === 401)
          throw new Unauthorized(`login attempt to ${url} failed with status: 401 Unauthorized`);
        if ((res.statusCode ?? 500) >= 400)
          throw new Unauthorized(`login attempt to ${url} failed with status: ${res.statusCode}`);
      });
    } catch (e) {
      if (e instanceof RegistryError && e.status === 401) throw new Unauthorized(e.message);
      if (e instanceof TransportError) throw new Unavailable(e.message);
      throw e;
    }
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }
}
