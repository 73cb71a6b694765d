// Exec routes: create (under /containers), start (hijacked unless detached),
// resize and inspect.
import type { ContainerService } from '../../engine/containers.js';
import type { ExecService } from '../../engine/exec.js';
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
    const body = await ctx.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>();
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
