// The per-request context a handler receives: parsed path parameters and
// query, the negotiated API version, and helpers to answer in Docker's shapes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgument } from './errors.js';
import { Query } from './query.js';

export interface Hijacked {
  /** Bytes from the client (the request body stream after the headers). */
  input: Duplex;
  /** Bytes to the client. */
  output: Duplex;
  end(): void;
}

export class Ctx {
  readonly query: Query;
  /** Set when the request came through the HTTP `upgrade` event. */
  upgradeSocket?: Duplex;
  upgradeHead?: Buffer;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse | null,
    readonly params: Record<string, string>,
    search: URLSearchParams,
    readonly version: string,
  ) {
    this.query = new Query(search);
  }

  async body(limit = 64 * 1024 * 1024): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new InvalidArgument('request body too large');
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /** The JSON body; an empty body is `{}` like Docker's decoders treat it. */
  async json<T = any>(): Promise<T> {
    const raw = (await this.body()).toString('utf8').trim();
    if (raw === '') return {} as T;
    try {
      return JSON.parse(raw) as T;
    } catch (e) {
      throw new InvalidArgument(`invalid JSON: ${(e as Error).message}`);
    }
  }

  private get response(): ServerResponse {
    if (!this.res) throw new Error('response already hijacked');
    return this.res;
  }

  send(status: number, body?: unknown): void {
    const res = this.response;
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    const text = JSON.stringify(body) + '\n';
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  text(status: number, text: string, type = 'text/plain; charset=utf-8'): void {
    this.response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
    this.response.end(text);
  }

  noContent(): void {
    this.send(204);
  }

  /** Starts a streamed answer (progress, events, logs); the caller writes and ends it. */
  stream(status: number, contentType: string, extra: Record<string, string> = {}): ServerResponse {
    const res = this.response;
    res.writeHead(status, { 'Content-Type': contentType, ...extra });
    res.flushHeaders();
    return res;
  }

  /**
   * Takes over the connection for attach and exec: answers `101 UPGRADED`
   * when the client asked for `Upgrade: tcp`, a plain 200 otherwise, as
   * dockerd does; the raw socket then carries the streams both ways.
   */
  hijack(contentType: string): Hijacked {
    if (this.upgradeSocket) {
      const socket = this.upgradeSocket;
      socket.write(
        'HTTP/1.1 101 UPGRADED\r\n' +
          `Content-Type: ${contentType}\r\n` +
          'Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      );
      if (this.upgradeHead?.length) socket.unshift(this.upgradeHead);
      return { input: socket, output: socket, end: () => socket.end() };
    }
    const res = this.response;
    const socket = res.socket!;
    // Write the status line ourselves: node's response framing (chunked
    // encoding) must not wrap the raw stream.
    res.detachSocket(socket);
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n\r\n`);
    return { input: socket, output: socket, end: () => socket.end() };
  }

  /** Request header helper (lower-cased name). */
  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }
}
