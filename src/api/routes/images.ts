// /images/*: thin handlers over the image service (engine/images*.ts).
import type { Daemon } from '../../engine/daemon.js';
import type { ImageService } from '../../engine/images.js';
import { saveImages } from '../../engine/images-archive.js';
import { ImageDeleter } from '../../engine/images-delete.js';
import { loadImages } from '../../engine/images-load.js';
import { importImage } from '../../engine/images-import.js';
import { imageHistory, imageInspect, listImages } from '../../engine/images-view.js';
import type { Ctx } from '../context.js';
import { InvalidArgument, NotImplemented } from '../errors.js';
import type { Handler, Router } from '../router.js';

/** `POST /images/create?fromImage=` (pull) is served by the distribution code when it sets this. */
export const imageCreateHooks: { pull: Handler | null } = { pull: null };

export function registerImageRoutes(router: Router, daemon: Daemon, images: ImageService): void {
  void daemon;
  const deleter = new ImageDeleter(images);

  router.post('/images/create', async (ctx) => {
    const src = ctx.query.string('fromSrc');
    if (src !== undefined) return importFromBody(ctx, images, src);
    if (ctx.query.string('fromImage') !== undefined && imageCreateHooks.pull)
      return imageCreateHooks.pull(ctx);
    if (ctx.query.string('fromImage') !== undefined)
      throw new NotImplemented('pulling images is not supported by this berthd yet');
    throw new InvalidArgument('either fromSrc or fromImage must be specified');
  });

  router.get('/images/json', (ctx) =>
    ctx.send(200, listImages(images, ctx.query.filters(), ctx.query.bool('all'), ctx.version)),
  );

  router.post('/images/load', async (ctx) => {
    // Headers go out with the first line, so an early failure is a plain HTTP error (as dockerd's flusher does).
    let res: ReturnType<Ctx['stream']> | undefined;
    const out = (): ReturnType<Ctx['stream']> => (res ??= ctx.stream(200, 'application/json'));
    try {
      await loadImages(images, ctx.req, (line) => out().write(JSON.stringify({ stream: line }) + '\n'));
    } catch (e) {
      if (!res) throw e;
      const message = (e as Error).message;
      res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
    }
    out().end();
  });

  router.get('/images/get', (ctx) => saveTo(ctx, images, ctx.query.all('names')));
  router.get('/images/*name/get', (ctx) => saveTo(ctx, images, [ctx.params.name]));

  router.get('/images/*name/json', (ctx) =>
    ctx.send(200, imageInspect(images, images.get(ctx.params.name), ctx.version)),
  );
  router.get('/images/*name/history', (ctx) =>
    ctx.send(200, imageHistory(images, images.get(ctx.params.name))),
  );

  router.post('/images/*name/tag', (ctx) => {
    images.tag(ctx.params.name, ctx.query.string('repo') ?? '', ctx.query.string('tag'));
    ctx.send(201);
  });

  router.delete('/images/*name', async (ctx) => {
    ctx.send(200, await deleter.delete(ctx.params.name, ctx.query.bool('force'), !ctx.query.bool('noprune')));
  });

  router.post('/images/prune', async (ctx) => ctx.send(200, await deleter.prune(ctx.query.filters())));
}

async function importFromBody(ctx: Ctx, images: ImageService, src: string): Promise<void> {
  if (src !== '-')
    throw new NotImplemented(
      'importing from a URL is not supported; send the archive as the request body (fromSrc=-)',
    );
  const id = await importImage(images, ctx.req, {
    src,
    repo: ctx.query.string('repo'),
    tag: ctx.query.string('tag'),
    message: ctx.query.string('message'),
    changes: ctx.query.all('changes'),
  });
  const res = ctx.stream(200, 'application/json');
  res.end(JSON.stringify({ status: id }) + '\r\n');
}

async function saveTo(ctx: Ctx, images: ImageService, names: string[]): Promise<void> {
  if (names.length === 0) throw new InvalidArgument('no images specified');
  const archive = await saveImages(images, names);
  const res = ctx.stream(200, 'application/x-tar');
  await new Promise<void>((resolve) => {
    archive.once('error', () => res.destroy());
    res.once('close', () => {
      archive.destroy();
      resolve();
    });
    archive.pipe(res);
  });
}
