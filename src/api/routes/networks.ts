// /networks/… routes: parse the request, call one service method, answer.
import type { Attachments } from '../../engine/networks-attach.js';
import type { NetworkCore } from '../../engine/networks.js';
import { InvalidArgument } from '../errors.js';
import type { Router } from '../router.js';

export function registerNetworkRoutes(router: Router, nets: NetworkCore, attach: Attachments): void {
  router.get('/networks', async (ctx) => ctx.send(200, nets.list(ctx.query.filters())));
  router.post('/networks/create', async (ctx) => {
    const body = await ctx.json();
    if (!body || typeof body !== 'object') throw new InvalidArgument('invalid JSON body');
    ctx.send(201, await nets.create(body));
  });
  router.post('/networks/prune', async (ctx) => ctx.send(200, await nets.prune(ctx.query.filters())));
  router.get('/networks/:id', async (ctx) => ctx.send(200, nets.inspect(ctx.params.id)));
  router.delete('/networks/:id', async (ctx) => {
    await nets.remove(ctx.params.id);
    ctx.noContent();
  });
  router.post('/networks/:id/connect', async (ctx) => {
    const body = (await ctx.json()) ?? {};
    if (!body.Container) throw new InvalidArgument('no container specified');
    await attach.connect(ctx.params.id, String(body.Container), body.EndpointConfig ?? {});
    ctx.send(200);
  });
  router.post('/networks/:id/disconnect', async (ctx) => {
    const body = (await ctx.json()) ?? {};
    if (!body.Container) throw new InvalidArgument('no container specified');
    await attach.disconnect(ctx.params.id, String(body.Container), !!body.Force);
    ctx.send(200);
  });
}
