// GET /system/df: a thin handler over engine/system-df.ts.
import { diskUsage, type DiskUsageSources } from '../../engine/system-df.js';
import type { Router } from '../router.js';

export function registerSystemDfRoute(router: Router, sources: DiskUsageSources): void {
  router.get('/system/df', async (ctx) =>
    ctx.send(200, await diskUsage(sources, ctx.query.all('type'), ctx.version)),
  );
}
