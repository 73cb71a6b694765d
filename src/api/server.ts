// The Engine API HTTP server: strips and checks the `/v1.NN` prefix, routes,
// and maps every thrown error to Docker's `{"message": …}` answer.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Ctx } from './context.js';
import { messageOf, statusOf } from './errors.js';
import type { Router } from './router.js';
import { API_VERSION, versionError } from './version.js';
import type { Logger } from '../util/log.js';

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

export function createApiServer(router: Router, log: Logger): http.Server {
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    void dispatch(router, log, req, res);
  });
  // Docker clients ask for `Upgrade: tcp` on attach and exec start.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void dispatch(router, log, req, null, socket, head);
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  return server;
}

async function dispatch(
  router: Router,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse | null,
  socket?: Duplex,
  head?: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://berth');
  let path = url.pathname;
  let version = API_VERSION;
  const m = VERSION_PREFIX.exec(path);
  if (m) {
    version = m[1];
    path = m[2];
  }
  const fail = (status: number, message: string): void => answerError(req, res, socket, status, message);
  if (log.enabled('debug')) log.debug('Calling ' + req.method + ' ' + req.url);

  if (m) {
    const bad = versionError(version);
    if (bad) return fail(400, bad);
  }
  const found = router.match(req.method ?? 'GET', path);
  if (found === null) return fail(404, 'page not found');
  if (found === 'method') return fail(405, 'method not allowed');

  const ctx = new Ctx(req, res, found.params, url.searchParams, version);
  if (socket) {
    ctx.upgradeSocket = socket;
    ctx.upgradeHead = head;
  }
  try {
    await found.handler(ctx);
  } catch (err) {
    const status = statusOf(err);
    if (status >= 500) log.error(`Handler for ${req.method} ${path} returned error: ${messageOf(err)}`);
    else log.debug(`${req.method} ${path}: ${messageOf(err)}`);
    if (res && res.headersSent) {
      // A stream already started: report in-band if we can, then close.
      if (!res.writableEnded) res.end(JSON.stringify({ message: messageOf(err) }) + '\n');
      return;
    }
    fail(status, messageOf(err));
  }
}

function answerError(
  req: IncomingMessage,
  res: ServerResponse | null,
  socket: Duplex | undefined,
  status: number,
  message: string,
): void {
  const body = JSON.stringify({ message }) + '\n';
  if (res) {
    if (res.headersSent) return void res.end();
    if (status === 304) {
      res.writeHead(304);
      return void res.end();
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  socket?.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
