// Exec routes: create (under /containers), start (hijacked unless detached),
// resize and inspect.
import type { ContainerService } from '../../engine/containers.js';
import type { ExecService } from '../../engine/exec.js';
import type { Ctx } from '../context.js';
import { InvalidArgument } from '../errors.js';
import type { Router } from '../router.js';
import { streamContentType } from '../streams.js';

export function registerExecRoutes(router: Router, exec: ExecService, containers: ContainerService): void {
  router.post('/containers/:id/exec', async (ctx) => {
    const body = await ctx.json();
    if (!body || typeof body !== 'object') throw new InvalidArgument('invalid JSON body');
    ctx.send(201, exec.create(ctx.params.id, body));
  });

  router.post('/exec/:id/start', async (ctx) => {
    const body = await startBody(ctx);
    const s = exec.precheck(ctx.params.id);
    if (body.ConsoleSize?.[0]) s.config.ConsoleSize = body.ConsoleSize;
    const tty = !!(body.Tty ?? s.config.Tty);
    if (body.Detach) {
      exec.start(s, { tty, multiplexed: false }).catch(() => undefined);
      return ctx.send(200);
    }
    const conn = ctx.hijack(streamContentType(ctx.version, tty));
    containers.track(conn);
    try {
      await exec.start(s, { tty, conn, multiplexed: !tty });
    } catch {
      conn.end();
    }
  });

  router.post('/exec/:id/resize', (ctx) => {
    exec.resize(ctx.params.id, ctx.query.int('h', 0) ?? 0, ctx.query.int('w', 0) ?? 0);
    ctx.text(200, '');
  });

  router.get('/exec/:id/json', (ctx) => ctx.send(200, exec.inspect(ctx.params.id)));
}

type StartBody = { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null };

/**
 * The JSON body of an exec start. On an `Upgrade: tcp` request node hands the
 * body over with the raw socket (in `head` or still unread), not as the
 * request stream, so it is taken from there; the rest is the client's stdin.
 */
async function startBody(ctx: Ctx): Promise<StartBody> {
  if (!ctx.upgradeSocket) return ctx.json<StartBody>();
  const length = Number(ctx.header('content-length') ?? 0);
  let buf: Buffer = ctx.upgradeHead ?? Buffer.alloc(0);
  const socket = ctx.upgradeSocket;
  while (buf.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer): void => {
        cleanup();
        socket.pause();
        resolve(d);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(null);
      };
      const cleanup = (): void => {
        socket.off('data', onData);
        socket.off('end', onEnd);
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
    });
    if (!chunk) break;
    buf = Buffer.concat([buf, chunk]);
  }
  ctx.upgradeHead = buf.subarray(length);
  const text = buf.subarray(0, length).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as StartBody;
  } catch (e) {
    throw new InvalidArgument(`invalid JSON: ${(e as Error).message}`);
  }
}
