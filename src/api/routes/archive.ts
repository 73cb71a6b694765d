// Container filesystem routes: /containers/{id}/archive (HEAD/GET/PUT, what
// `docker cp` uses), /changes, /export, and POST /commit.
import type { ContainerChanges } from '../../engine/archive-commit.js';
import type { ContainerFiles, PathStat } from '../../engine/archive.js';
import type { Ctx } from '../context.js';
import { InvalidArgument } from '../errors.js';
import type { Router } from '../router.js';

const STAT_HEADER = 'X-Docker-Container-Path-Stat';
const statHeader = (s: PathStat): string => Buffer.from(JSON.stringify(s)).toString('base64');

function pathParam(ctx: Ctx): string {
  const p = ctx.query.string('path');
  if (!p) throw new InvalidArgument('path cannot be empty');
  return p;
}

export function registerArchiveRoutes(
  router: Router,
  files: ContainerFiles,
  changes: ContainerChanges,
): void {
  router.head('/containers/:id/archive', async (ctx) => {
    const stat = await files.stat(ctx.params.id, pathParam(ctx));
    ctx.res!.writeHead(200, { [STAT_HEADER]: statHeader(stat), 'Content-Type': 'application/json' });
    ctx.res!.end();
  });

  router.get('/containers/:id/archive', async (ctx) => {
    await files.get(ctx.params.id, pathParam(ctx), (stat) =>
      ctx.stream(200, 'application/x-tar', { [STAT_HEADER]: statHeader(stat) }),
    );
  });

  router.put('/containers/:id/archive', async (ctx) => {
    await files.put(ctx.params.id, pathParam(ctx), ctx.req, {
      noOverwriteDirNonDir: ctx.query.bool('noOverwriteDirNonDir'),
      copyUIDGID: ctx.query.bool('copyUIDGID'),
    });
    ctx.send(200);
  });

  router.get('/containers/:id/changes', async (ctx) => ctx.send(200, await changes.diff(ctx.params.id)));

  router.get('/containers/:id/export', async (ctx) => {
    await changes.export(ctx.params.id, () => ctx.stream(200, 'application/x-tar'));
  });

  router.post('/commit', async (ctx) => {
    const container = ctx.query.string('container');
    if (!container) throw new InvalidArgument('No such container: ');
    const config = await ctx.json();
    const id = await changes.commit({
      container,
      repo: ctx.query.string('repo') || undefined,
      tag: ctx.query.string('tag') || undefined,
      comment: ctx.query.string('comment') || undefined,
      author: ctx.query.string('author') || undefined,
      pause: ctx.query.bool('pause', true),
      changes: ctx.query.all('changes'),
      config: config && Object.keys(config).length ? config : null,
    });
    ctx.send(201, { Id: id });
  });
}
