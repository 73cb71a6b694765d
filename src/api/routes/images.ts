// /images/*: thin handlers over the image service (engine/images*.ts).
import type { Daemon } from '../../engine/daemon.js';
import type { ImageService } from '../../engine/images.js';
import { saveImages } from '../../engine/images-archive.js';
import { ImageDeleter } from '../../engine/images-delete.js';
import { loadImages } from '../../engine/images-load.js';
import { importFromUrl, importImage, type ImportOptions } from '../../engine/images-import.js';
import { imageHistory, imageInspect, listImages } from '../../engine/images-view.js';
import { Progress } from '../../distribution/progress.js';
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
      const write = (msg: object): void => void out().write(JSON.stringify(msg) + '\r\n');
      const progress = ctx.query.bool('quiet') ? undefined : new Progress(write);
      await loadImages(images, ctx.req, (line) => write({ stream: line }), progress);
    } catch (e) {
      if (!res) throw e;
      const message = (e as Error).message;
      res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
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
  const opts = {
    src,
    repo: ctx.query.string('repo'),
    tag: ctx.query.string('tag'),
    message: ctx.query.string('message'),
    changes: ctx.query.all('changes'),
  };
  if (src !== '-') return importFromSource(ctx, images, opts);
  const id = await importImage(images, ctx.req, opts);
  const res = ctx.stream(200, 'application/json');
  res.end(JSON.stringify({ status: id }) + '\r\n');
}

/** `fromSrc=<URL>`: progress lines once the GET succeeded; a later failure ends the stream with an error line. */
async function importFromSource(ctx: Ctx, images: ImageService, opts: ImportOptions): Promise<void> {
  let res: ReturnType<Ctx['stream']> | undefined;
  const out = (): ReturnType<Ctx['stream']> => (res ??= ctx.stream(200, 'application/json'));
  const abort = new AbortController();
  const onClose = (): void => {
    if (!ctx.res?.writableFinished) abort.abort(new Error('client disconnected'));
  };
  ctx.res?.once('close', onClose);
  try {
    await importFromUrl(images, opts, (msg) => out().write(JSON.stringify(msg) + '\r\n'), abort.signal);
  } catch (e) {
    if (!res) throw e;
    const message = (e as Error).message;
    res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
  } finally {
    ctx.res?.off('close', onClose);
  }
  out().end();
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
