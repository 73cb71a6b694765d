// A one-shot JSON GET straight over the daemon's unix socket, for the CLI's
// short commands (version, info, images, …). node:http's client machinery
// costs about as much CPU as the rest of such a command; this path speaks
// HTTP/1.1 with `Connection: close` and reads one response. Other hosts (tcp)
// go through the regular client.
import net from 'node:net';
import { ApiError, requestTarget as target } from '../client/client.js';
import type { CliContext } from './context.js';

type Query = Record<string, string | number | boolean | undefined | string[]>;

/** Chunked transfer coding → the body bytes. */
function dechunk(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(buf.subarray(i, eol).toString('latin1'), 16);
    if (!size) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function request(socketPath: string, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(socketPath, () =>
      sock.write(`GET ${path} HTTP/1.1\r\nHost: berth\r\nUser-Agent: berth-cli\r\nConnection: close\r\n\r\n`),
    );
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? new ApiError(0, `Cannot connect to the berth daemon at ${host}. Is the berth daemon running?`)
          : e,
      ),
    );
    sock.once('end', () => {
      const raw = Buffer.concat(chunks);
      const headEnd = raw.indexOf('\r\n\r\n');
      if (headEnd < 0) return reject(new Error('malformed HTTP response from the daemon'));
      const head = raw.subarray(0, headEnd).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      let body: Buffer = raw.subarray(headEnd + 4);
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = dechunk(body);
      resolve({ status, body: body.toString('utf8') });
    });
  });
}

/** GET `path` and parse the JSON answer; non-2xx answers become ApiError like the client's. */
export async function quickGet<T = any>(ctx: CliContext, path: string, query?: Query): Promise<T> {
  const host = ctx.client.host;
  const socketPath = host.startsWith('unix://')
    ? host.slice('unix://'.length)
    : host.startsWith('/')
      ? host
      : undefined;
  if (!socketPath) return ctx.client.get<T>(path, query);
  const { status, body } = await request(socketPath, host, target(path, query));
  if (status >= 400 || status === 0) {
    let message = body.trim();
    try {
      message = (JSON.parse(body) as { message?: string }).message ?? message;
    } catch {
      /* not JSON: keep the text */
    }
    throw new ApiError(status, message || `HTTP ${status}`);
  }
  return (body.trim() ? JSON.parse(body) : undefined) as T;
}
