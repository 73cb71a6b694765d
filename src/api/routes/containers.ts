// /containers/… routes: parse the request, call one service method, answer.
import type { ContainerService } from '../../engine/containers.js';
import type { Attacher } from '../../engine/containers-attach.js';
import { openLogs } from '../../engine/containers-logs.js';
import { statsJson, topOf } from '../../engine/containers-stats.js';
import type { Stats } from '../../runtime/types.js';
import type { Ctx } from '../context.js';
import { InvalidArgument } from '../errors.js';
import type { Router } from '../router.js';
import { framer, streamContentType } from '../streams.js';

export function registerContainerRoutes(router: Router, svc: ContainerService, attacher: Attacher): void {
  const lc = svc.lifecycle;

  router.post('/containers/create', async (ctx) => {
    const body = await ctx.json();
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgument('invalid JSON body');
    const res = await svc.create({ name: ctx.query.string('name'), platform: ctx.query.string('platform'), body });
    ctx.send(201, res);
  });

  router.get('/containers/json', async (ctx) => {
    const list = await svc.list({
      all: ctx.query.bool('all'),
      limit: ctx.query.int('limit', -1) ?? -1,
      size: ctx.query.bool('size'),
      filters: ctx.query.filters(),
    });
    ctx.send(200, list);
  });

  router.post('/containers/prune', async (ctx) => ctx.send(200, await svc.prune(ctx.query.filters())));

  router.get('/containers/:id/json', async (ctx) => {
    const doc = await svc.inspect(ctx.params.id);
    if (ctx.query.bool('size')) {
      const s = await svc.sizes(svc.find(ctx.params.id));
      Object.assign(doc, { SizeRw: s.rw, SizeRootFs: s.rootFs });
    }
    ctx.send(200, doc);
  });

  router.post('/containers/:id/start', async (ctx) => {
    await lc.start(ctx.params.id);
    ctx.noContent();
  });

  const stopOpts = (ctx: Ctx): { timeout?: number; signal?: string } => ({
    timeout: ctx.query.int('t'),
    signal: ctx.query.string('signal') || undefined,
  });
  router.post('/containers/:id/stop', async (ctx) => {
    await lc.stop(ctx.params.id, stopOpts(ctx));
    ctx.noContent();
  });
  router.post('/containers/:id/restart', async (ctx) => {
    await lc.restart(ctx.params.id, stopOpts(ctx));
    ctx.noContent();
  });
  router.post('/containers/:id/kill', async (ctx) => {
    await lc.kill(ctx.params.id, ctx.query.string('signal') || undefined);
    ctx.noContent();
  });
  router.post('/containers/:id/pause', async (ctx) => {
    await lc.pause(ctx.params.id);
    ctx.noContent();
  });
  router.post('/containers/:id/unpause', async (ctx) => {
    await lc.unpause(ctx.params.id);
    ctx.noContent();
  });

  router.post('/containers/:id/wait', async (ctx) => {
    const c = svc.find(ctx.params.id);
    const hangup = new AbortController();
    const done = lc.wait(c, ctx.query.string('condition') ?? '', hangup.signal);
    // Headers go out at once: `docker run` waits before it starts the container.
    const res = ctx.stream(200, 'application/json');
    res.once('close', () => hangup.abort());
    const result = await Promise.race([done, new Promise<null>((r) => hangup.signal.addEventListener('abort', () => r(null)))]);
    if (result && !res.writableEnded) res.end(JSON.stringify(result) + '\n');
  });

  router.post('/containers/:id/resize', async (ctx) => {
    await lc.resize(ctx.params.id, ctx.query.int('h', 0) ?? 0, ctx.query.int('w', 0) ?? 0);
    ctx.text(200, '');
  });

  router.post('/containers/:id/rename', (ctx) => {
    svc.rename(ctx.params.id, ctx.query.string('name') ?? '');
    ctx.noContent();
  });

  router.post('/containers/:id/update', async (ctx) => ctx.send(200, await svc.update(ctx.params.id, await ctx.json())));

  router.delete('/containers/:id', async (ctx) => {
    await svc.remove(ctx.params.id, { force: ctx.query.bool('force'), volumes: ctx.query.bool('v') });
    ctx.noContent();
  });

  router.post('/containers/:id/attach', async (ctx) => {
    const opts = {
      stdin: ctx.query.bool('stdin'),
      stdout: ctx.query.bool('stdout'),
      stderr: ctx.query.bool('stderr'),
      stream: ctx.query.bool('stream'),
      logs: ctx.query.bool('logs'),
      detachKeys: ctx.query.string('detachKeys'),
    };
    const { c, keys } = attacher.precheck(ctx.params.id, opts);
    const type = streamContentType(ctx.version, c.config.Tty);
    const conn = ctx.hijack(type);
    svc.track(conn);
    try {
      await attacher.attach(c, keys, opts, conn, !c.config.Tty);
    } catch (e) {
      svc.deps.log.warn('attach failed', { id: c.id, err: String(e) });
      conn.end();
    }
  });

  router.get('/containers/:id/logs', async (ctx) => {
    const c = svc.find(ctx.params.id);
    const opts = {
      stdout: ctx.query.bool('stdout'),
      stderr: ctx.query.bool('stderr'),
      follow: ctx.query.bool('follow'),
      timestamps: ctx.query.bool('timestamps'),
      tail: ctx.query.string('tail'),
      since: ctx.query.string('since'),
      until: ctx.query.string('until'),
      details: ctx.query.bool('details'),
    };
    const send = openLogs(svc, c, opts); // checks the options while an error can still be an HTTP status
    const res = ctx.stream(200, streamContentType(ctx.version, c.config.Tty));
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    const drained = (): Promise<void> =>
      new Promise((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.once('drain', done);
        res.once('close', done);
      });
    await send(framer((b) => res.write(b), !c.config.Tty), abort.signal, drained);
    res.end();
  });

  router.get('/containers/:id/top', async (ctx) => {
    const c = svc.find(ctx.params.id);
    const pids = c.state.Running ? await svc.runtime.pids(c.id) : [];
    ctx.send(200, await topOf(c, pids, ctx.query.string('ps_args') ?? ''));
  });

  router.get('/containers/:id/stats', async (ctx) => {
    const c = svc.find(ctx.params.id);
    const stream = ctx.query.bool('stream', true);
    const oneShot = ctx.query.bool('one-shot');
    const sample = async (): Promise<Stats | null> =>
      c.state.Running && svc.store.has(c.id) ? svc.runtime.stats(c.id).catch(() => null) : null;
    if (!stream) {
      let prev: Stats | null = null;
      if (!oneShot && c.state.Running) {
        prev = await sample();
        await new Promise((r) => setTimeout(r, 1000));
      }
      return ctx.send(200, statsJson(c, await sample(), prev));
    }
    const res = ctx.stream(200, 'application/json');
    let closed = false;
    res.once('close', () => (closed = true));
    let prev: Stats | null = null;
    while (!closed) {
      const cur = await sample();
      res.write(JSON.stringify(statsJson(c, cur, prev)) + '\n');
      prev = cur;
      if (!c.state.Running || !svc.store.has(c.id)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    if (!res.writableEnded) res.end();
  });
}
