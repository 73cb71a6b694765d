// Registry routes: pull (`POST /images/create?fromImage=`, through the hook
// the image routes expose), push, `POST /auth` and `GET /images/search`.
// Handlers parse, call one service method and stream Docker's progress.
import type { ServerResponse } from 'node:http';
import type { RegistryService } from '../../engine/auth.js';
import type { Puller } from '../../engine/pull.js';
import type { Pusher } from '../../engine/push.js';
import { decodeRegistryAuth, type AuthConfig } from '../../distribution/auth.js';
import { Progress, type ProgressMessage } from '../../distribution/progress.js';
import { checkSearchArgs, search, searchEndpoints, splitSearchTerm } from '../../distribution/search.js';
import { parsePlatform } from '../../distribution/platform.js';
import { parseReference } from '../../image/reference.js';
import type { Ctx } from '../context.js';
import { InvalidArgument, messageOf } from '../errors.js';
import type { Router } from '../router.js';
import { imageCreateHooks } from './images.js';

/**
 * Runs `work` with a progress stream whose headers go out with the first
 * message: an error before that is a plain HTTP error (dockerd's flusher), an
 * error after it is an `errorDetail` message.
 */
async function streamed(ctx: Ctx, work: (p: Progress) => Promise<void>): Promise<void> {
  let res: ServerResponse | undefined;
  const write = (m: ProgressMessage): void => {
    res ??= ctx.stream(200, 'application/json');
    res.write(JSON.stringify(m) + '\r\n');
  };
  try {
    await work(new Progress(write));
  } catch (e) {
    if (!res) throw e;
    const message = messageOf(e);
    write({ errorDetail: { message }, error: message });
  }
  res?.end();
}

function authOf(ctx: Ctx): AuthConfig | undefined {
  return decodeRegistryAuth(ctx.header('x-registry-auth'));
}

export function registerDistributionRoutes(
  router: Router,
  registry: RegistryService,
  puller: Puller,
  pusher: Pusher,
): void {
  imageCreateHooks.pull = async (ctx) => {
    const from = ctx.query.string('fromImage') ?? '';
    const tag = ctx.query.string('tag') ?? '';
    const platform = parsePlatform(ctx.query.string('platform'));
    let ref = parseReference(from);
    if (tag) {
      if (tag.startsWith('sha256:')) ref = { ...ref, tag: undefined, digest: tag };
      else ref = parseReference(`${from}:${tag}`);
    }
    const auth = authOf(ctx);
    const allTags = !ref.tag && !ref.digest;
    await streamed(ctx, async (p) => {
      if (allTags) await puller.pullAllTags(ref, { platform, auth }, p);
      else await puller.pull(ref, { platform, auth }, p);
    });
  };

  router.post('/images/*name/push', async (ctx) => {
    const auth = authOf(ctx);
    await streamed(ctx, (p) => pusher.push(ctx.params.name, ctx.query.string('tag') || undefined, auth, p));
  });

  router.post('/auth', async (ctx) => {
    const body = await ctx.json<AuthConfig>();
    ctx.send(200, await registry.login(body));
  });

  router.get('/images/search', async (ctx) => {
    const term = ctx.query.string('term') ?? '';
    if (!term) throw new InvalidArgument('term is required');
    const limit = ctx.query.int('limit');
    const filters = ctx.query.filters();
    checkSearchArgs(limit, filters);
    const { domain, query } = splitSearchTerm(term);
    const auth = authOf(ctx);
    const eps = searchEndpoints(domain, registry.endpoints(domain));
    let last: unknown;
    for (const ep of eps) {
      try {
        const results = await search(registry.client(ep, auth, []), query, limit ?? 25, filters, auth);
        return ctx.send(200, results);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  });
}
