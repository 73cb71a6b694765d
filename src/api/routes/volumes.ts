// /volumes/… routes: parse the request, call one service method, answer.
import type { VolumeService } from '../../engine/volumes.js';
import { InvalidArgument } from '../errors.js';
import type { Router } from '../router.js';

export function registerVolumeRoutes(router: Router, volumes: VolumeService): void {
  router.get('/volumes', async (ctx) => ctx.send(200, volumes.list(ctx.query.filters())));

  router.post('/volumes/create', async (ctx) => {
    const body = await ctx.json();
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new InvalidArgument('invalid JSON body');
    ctx.send(201, volumes.json(volumes.create(body)));
  });

  router.post('/volumes/prune', async (ctx) => ctx.send(200, await volumes.prune(ctx.query.filters())));

  router.get('/volumes/:name', async (ctx) => ctx.send(200, volumes.json(volumes.get(ctx.params.name))));

  router.delete('/volumes/:name', async (ctx) => {
    await volumes.remove(ctx.params.name, ctx.query.bool('force'));
    ctx.noContent();
  });
}
