// A typed Engine API client over a unix socket or TCP, used by the CLI,
// compose and the tests. It speaks the unversioned paths, so the daemon
// answers with its own API version.
import type { IncomingMessage, RequestOptions as HttpRequestOptions } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';

// node:http costs ~12M instructions to load: only commands that send a request
// through this client pay for it (the CLI's short GETs use quick-get.ts).
// getBuiltinModule (Node >= 20.16) also works in the CLI's code-cached
// vm.Script, where a dynamic import() has no loader.
let httpModule: typeof import('node:http') | undefined;
async function loadHttp(): Promise<typeof import('node:http')> {
  return (httpModule ??= process.getBuiltinModule?.('node:http') ?? (await import('node:http')));
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | string[]>;
  body?: unknown; // objects are sent as JSON
  headers?: Record<string, string>;
  /** A raw body stream (tar uploads). */
  stream?: Readable;
  /** Writes a raw body itself (write callbacks let it reuse its buffers); the request ends when it resolves. */
  writeBody?: (req: Writable) => Promise<void>;
  signal?: AbortSignal;
}

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/** BERTH_HOST, then DOCKER_HOST, then the default socket. */
export function hostFromEnv(env = process.env): string {
  return env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

export class Client {
  private readonly agentOptions: HttpRequestOptions;

  constructor(readonly host: string = hostFromEnv()) {
    if (host.startsWith('unix://')) this.agentOptions = { socketPath: host.slice('unix://'.length) };
    else if (host.startsWith('tcp://') || host.startsWith('http://')) {
      const u = new URL(host.replace(/^tcp:/, 'http:'));
      this.agentOptions = { host: u.hostname, port: Number(u.port || 2375) };
    } else if (host.startsWith('/')) this.agentOptions = { socketPath: host };
    else throw new Error(`unsupported host: ${host}`);
  }

  private path(path: string, query?: RequestOptions['query']): string {
    return requestTarget(path, query);
  }

  /** Sends a request and resolves with the response head; the body is left to read. */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const http = await loadHttp();
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Host: 'berth', ...opts.headers };
      let payload: Buffer | undefined;
      if (opts.body !== undefined) {
        payload = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(JSON.stringify(opts.body));
        headers['Content-Type'] ??= 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      const req = http.request({ ...this.agentOptions, method, path: this.path(path, opts.query), headers, signal: opts.signal });
      req.once('response', resolve);
      req.once('error', (e: NodeJS.ErrnoException) => reject(connectionError(e, this.host)));
      if (opts.stream) opts.stream.pipe(req);
      else if (opts.writeBody) opts.writeBody(req).then(() => req.end(), (e: Error) => req.destroy(e));
      else req.end(payload);
    });
  }

  /** A request whose answer is checked: non-2xx statuses become ApiError. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
    const res = await this.open(method, path, opts);
    if ((res.statusCode ?? 500) >= 400) throw await errorFrom(res);
    return res;
  }

  async json<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.call(method, path, opts);
    const text = (await readAll(res)).toString('utf8');
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  get<T = any>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T = any>(path: string, body?: unknown, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('POST', path, { body, query });
  }

  delete<T = any>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.json<T>('DELETE', path, { query });
  }

  /**
   * Attach and exec start: asks for `Upgrade: tcp` and returns the raw socket
   * once the daemon answers 101 (or 200 from daemons that do not upgrade).
   */
  async hijack(path: string, opts: RequestOptions = {}): Promise<Duplex> {
    const http = await loadHttp();
    return new Promise((resolve, reject) => {
      const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
      const req = http.request({
        ...this.agentOptions,
        method: 'POST',
        path: this.path(path, opts.query),
        headers: {
          Host: 'berth',
          Connection: 'Upgrade',
          Upgrade: 'tcp',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
        },
      });
      req.once('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.once('response', async (res) => {
        if ((res.statusCode ?? 500) >= 400) return reject(await errorFrom(res));
        resolve(res.socket);
      });
      req.once('error', (e: NodeJS.ErrnoException) => reject(connectionError(e, this.host)));
      req.end(payload);
    });
  }
}

/** The request target: path plus query, booleans as 1/0, arrays as repeated keys, undefined left out. */
export function requestTarget(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) qs.append(k, item);
    else qs.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function errorFrom(res: IncomingMessage): Promise<ApiError> {
  const text = (await readAll(res)).toString('utf8');
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    /* not JSON: keep the text */
  }
  return new ApiError(res.statusCode ?? 500, message || `HTTP ${res.statusCode}`);
}

function connectionError(e: NodeJS.ErrnoException, host: string): Error {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
    return new ApiError(
      0,
      `Cannot connect to the berth daemon at ${host}. Is the berth daemon running?`,
    );
  return e;
}

/** Reads a JSON-lines stream (progress, events), calling `fn` per message. */
export async function eachJsonLine(stream: Readable, fn: (msg: any) => void): Promise<void> {
  let buf = '';
  for await (const chunk of stream) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) fn(JSON.parse(line));
    }
  }
  if (buf.trim()) fn(JSON.parse(buf));
}
