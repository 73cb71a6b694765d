// An HTTP client for one repository on one registry endpoint (Distribution
// API v2): answers 401 challenges with Basic credentials or a scoped Bearer
// token, follows blob redirects, and turns registry error bodies into
// Docker's error texts (`manifest unknown: manifest unknown`).
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { basicCredentials, basicHeader, parseChallenges, type AuthConfig, type Challenge } from './auth.js';
import type { Endpoint } from './endpoints.js';
import type { AgentPool } from './tls.js';

/** An error answer from a registry; `codes` are the errcode values (`MANIFEST_UNKNOWN`). */
export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly codes: string[] = [],
  ) {
    super(message);
  }
}

/** Transport-level failure (connection refused, TLS): another endpoint may be tried. */
export class TransportError extends Error {}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Statuses that are not errors (default: 2xx). */
  ok?: (status: number) => boolean;
}

const MAX_REDIRECTS = 5;

export async function readBody(res: Readable, limit = 32 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) throw new Error('registry answer too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** errcode text: `manifest unknown: manifest unknown`. */
function errcodeText(e: { code?: string; message?: string }): string {
  const code = (e.code ?? 'UNKNOWN').toLowerCase().replace(/_/g, ' ');
  return e.message ? `${code}: ${e.message}` : code;
}

/** Reads a registry error body into a RegistryError. */
export async function errorFromResponse(res: IncomingMessage): Promise<RegistryError> {
  const status = res.statusCode ?? 0;
  const text = (await readBody(res, 1 << 20).catch(() => Buffer.alloc(0))).toString('utf8');
  try {
    const j = JSON.parse(text) as {
      errors?: { code?: string; message?: string }[];
      details?: string;
      detail?: string;
    };
    if (Array.isArray(j.errors) && j.errors.length) {
      const msg =
        j.errors.length === 1
          ? errcodeText(j.errors[0])
          : 'errors:\n' + j.errors.map((e) => errcodeText(e) + '\n').join('');
      return new RegistryError(
        msg,
        status,
        j.errors.map((e) => e.code ?? 'UNKNOWN'),
      );
    }
    if (status === 401 && (j.details || j.detail))
      return new RegistryError(`unauthorized: ${j.details ?? j.detail}`, status, ['UNAUTHORIZED']);
  } catch {
    /* not JSON */
  }
  if (status === 401)
    return new RegistryError('unauthorized: authentication required', status, ['UNAUTHORIZED']);
  if (status === 403)
    return new RegistryError('denied: requested access to the resource is denied', status, ['DENIED']);
  if (status === 404) return new RegistryError('not found', status, ['NOT_FOUND']);
  const body = text.trim() ? ': ' + text.trim().slice(0, 200) : '';
  return new RegistryError(
    `received unexpected HTTP status: ${status} ${http.STATUS_CODES[status] ?? ''}`.trim() + body,
    status,
  );
}

/** Go's url.Error text for a failed request: `Get "http://…": dial tcp …: connect: connection refused`. */
function transportText(
  method: string,
  url: string,
  e: NodeJS.ErrnoException & { address?: string; port?: number },
): string {
  const verb = method[0] + method.slice(1).toLowerCase();
  let why = e.message;
  if (e.code === 'ECONNREFUSED') why = `dial tcp ${e.address}:${e.port}: connect: connection refused`;
  else if (e.code === 'ECONNRESET') why = 'read: connection reset by peer';
  else if (e.code === 'EPROTO' || /wrong version number|packet length too long/.test(e.message))
    why = 'http: server gave HTTP response to HTTPS client';
  else if (
    e.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    e.code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
  )
    why = 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  else if (e.code === 'ENOTFOUND') why = `dial tcp: lookup ${new URL(url).hostname}: no such host`;
  return `${verb} "${url}": ${why}`;
}

interface Token {
  value: string;
  expires: number;
}

export class RegistryClient {
  /** Authorization per scope set; Basic when the registry asked for it. */
  private tokens = new Map<string, Token>();
  private challenge: Challenge | null | undefined;

  constructor(
    readonly endpoint: Endpoint,
    private readonly agents: AgentPool,
    private readonly auth: AuthConfig | undefined,
    /** Scopes for every request of this client (`repository:a/b:pull`). */
    readonly scopes: string[],
  ) {}

  url(path: string): string {
    return path.startsWith('http') ? path : this.endpoint.url + path;
  }

  /** One raw HTTP exchange (no auth logic); transport failures become TransportError. */
  private raw(
    method: string,
    url: string,
    headers: Record<string, string>,
    body?: Buffer | Readable,
  ): Promise<IncomingMessage> {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(u, {
        method,
        headers: { 'User-Agent': 'berth/0.1 (docker-compatible)', ...headers },
        agent: this.agents.agentFor(u, this.endpoint.skipVerify, this.endpoint.host),
      });
      req.once('response', resolve);
      req.once('error', (e) => reject(new TransportError(transportText(method, url, e))));
      if (body && !Buffer.isBuffer(body)) {
        body.once('error', (e) => req.destroy(e));
        body.pipe(req);
      } else req.end(body);
    });
  }

  /** GET /v2/: learns how this registry authenticates (Docker's ping). */
  async ping(): Promise<void> {
    if (this.challenge !== undefined) return;
    const url = this.url('/v2/');
    const res = await this.raw('GET', url, {});
    res.resume();
    if (res.statusCode === 401) {
      const chs = parseChallenges(res.headers['www-authenticate']);
      this.challenge =
        chs.find((c) => c.scheme === 'bearer') ?? chs.find((c) => c.scheme === 'basic') ?? null;
    } else if ((res.statusCode ?? 500) < 400) this.challenge = null;
    else if (res.statusCode === 404)
      throw new TransportError(`GET "${url}": 404 page not found (not a registry)`);
    else this.challenge = null;
  }

  /** The Authorization header for `scopes`, fetching a token when needed. */
  private async authorization(method: string, url: string, scopes: string[]): Promise<string | undefined> {
    await this.ping();
    const ch = this.challenge;
    if (!ch) return undefined;
    const creds = basicCredentials(this.auth);
    if (ch.scheme === 'basic') {
      if (!creds)
        throw new RegistryError(
          `${method[0] + method.slice(1).toLowerCase()} "${url}": no basic auth credentials`,
          401,
          ['UNAUTHORIZED'],
        );
      return basicHeader(creds.username, creds.password);
    }
    if (this.auth?.registrytoken) return 'Bearer ' + this.auth.registrytoken;
    const key = scopes.slice().sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return 'Bearer ' + cached.value;
    const token = await this.fetchToken(method, url, ch, scopes);
    this.tokens.set(key, token);
    return 'Bearer ' + token.value;
  }

  private async fetchToken(method: string, url: string, ch: Challenge, scopes: string[]): Promise<Token> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError('bearer challenge without a realm', 401);
    const creds = basicCredentials(this.auth);
    const wrap = (msg: string): string => `${method[0] + method.slice(1).toLowerCase()} "${url}": ${msg}`;
    let res: IncomingMessage;
    if (this.auth?.identitytoken) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: this.auth.identitytoken,
        client_id: 'berth',
      });
      if (ch.params.service) form.set('service', ch.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      const body = Buffer.from(form.toString());
      res = await this.raw(
        'POST',
        realm,
        { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(body.length) },
        body,
      );
    } else {
      const u = new URL(realm);
      if (ch.params.service) u.searchParams.set('service', ch.params.service);
      for (const s of scopes) u.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds) {
        u.searchParams.set('account', creds.username);
        headers.Authorization = basicHeader(creds.username, creds.password);
      }
      res = await this.raw('GET', u.toString(), headers);
    }
    if ((res.statusCode ?? 500) >= 300) {
      const err = await errorFromResponse(res);
      throw new RegistryError(wrap(err.message), err.status, err.codes);
    }
    const j = JSON.parse((await readBody(res)).toString('utf8')) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const value = j.token ?? j.access_token;
    if (!value)
      throw new RegistryError(wrap('authorization server did not include a token in the response'), 401);
    // Docker's minimum token lifetime is 60s; refresh a little early.
    const ttl = Math.max(j.expires_in ?? 60, 60);
    return { value, expires: Date.now() + (ttl - 5) * 1000 };
  }

  /**
   * Sends a request with auth, follows redirects (without credentials to
   * another host), retries once with a fresh token after a 401.
   */
  async send(method: string, path: string, opts: SendOptions = {}): Promise<IncomingMessage> {
    const ok = opts.ok ?? ((s: number) => s >= 200 && s < 300);
    let url = this.url(path);
    const origin = new URL(url).origin;
    for (let attempt = 0; ; attempt++) {
      const headers = { ...opts.headers };
      const authz = await this.authorization(method, url, this.scopes);
      if (authz) headers.Authorization = authz;
      let res = await this.raw(method, url, headers, opts.body);
      for (
        let hops = 0;
        res.statusCode && [301, 302, 303, 307, 308].includes(res.statusCode) && res.headers.location;
        hops++
      ) {
        if (hops >= MAX_REDIRECTS)
          throw new RegistryError(`${method} "${url}": stopped after ${MAX_REDIRECTS} redirects`, 500);
        res.resume();
        url = new URL(res.headers.location, url).toString();
        const h = { ...opts.headers };
        if (new URL(url).origin === origin && authz) h.Authorization = authz;
        res = await this.raw(method === 'HEAD' ? 'HEAD' : 'GET', url, h);
      }
      const status = res.statusCode ?? 500;
      if (ok(status)) return res;
      if (
        status === 401 &&
        attempt === 0 &&
        (!opts.body || Buffer.isBuffer(opts.body)) &&
        this.challenge?.scheme === 'bearer'
      ) {
        res.resume();
        this.tokens.clear();
        url = this.url(path);
        continue;
      }
      if (method === 'HEAD') {
        res.resume();
        if (status === 401)
          throw new RegistryError('unauthorized: authentication required', 401, ['UNAUTHORIZED']);
        if (status === 404)
          throw new RegistryError('manifest unknown: manifest unknown', 404, ['MANIFEST_UNKNOWN']);
        throw new RegistryError(`${method} ${url}: unexpected status ${status}`, status);
      }
      throw await errorFromResponse(res);
    }
  }

  /** A request whose whole body is wanted. */
  async fetch(
    method: string,
    path: string,
    opts: SendOptions = {},
  ): Promise<{ res: IncomingMessage; body: Buffer }> {
    const res = await this.send(method, path, opts);
    return { res, body: await readBody(res) };
  }
}
