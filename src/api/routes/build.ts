// /build, /build/prune, /build/cancel: thin handlers over the build service.
// Like dockerd, problems found before the first message (bad parameters, no
// Dockerfile, a syntax error, an unknown target) are plain HTTP errors; once
// the stream has started, an error is the stream's last message.
import type { BuildParams, BuildService } from '../../engine/build.js';
import type { AuthConfig } from '../../distribution/auth.js';
import { DockerfileSyntaxError } from '../../build/types.js';
import { StepError } from '../../build/copy.js';
import type { Ctx } from '../context.js';
import { InvalidArgument, messageOf } from '../errors.js';
import { parseGoDuration } from '../../util/go-duration.js';
import type { Router } from '../router.js';

/** One stream line, with `<`, `>` and `&` escaped as Go's encoder writes them. */
function line(m: unknown): string {
  return JSON.stringify(m).replace(/[<>&]/g, (c) => '\\u00' + c.charCodeAt(0).toString(16)) + '\n';
}

function jsonParam<T>(ctx: Ctx, name: string): T | undefined {
  const raw = ctx.query.string(name);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new InvalidArgument(`${name}: invalid JSON`);
  }
}

function params(ctx: Ctx): BuildParams {
  const q = ctx.query;
  const num = (n: string): number | undefined => {
    const v = q.int(n);
    return v ? v : undefined;
  };
  const resources: Record<string, unknown> = {};
  const set = (k: string, v: unknown): void => {
    if (v !== undefined && v !== '') resources[k] = v;
  };
  set('Memory', num('memory'));
  set('MemorySwap', num('memswap'));
  set('CpuShares', num('cpushares'));
  set('CpusetCpus', q.string('cpusetcpus'));
  set('CpuPeriod', num('cpuperiod'));
  set('CpuQuota', num('cpuquota'));
  set('ShmSize', num('shmsize'));
  const cacheFrom = jsonParam<string[]>(ctx, 'cachefrom') ?? [];
  const extraHosts = q
    .all('extrahosts')
    .flatMap((h) => h.split(','))
    .filter(Boolean);
  const registryConfig = ctx.header('x-registry-config');
  let auths: Record<string, AuthConfig> = {};
  if (registryConfig) {
    try {
      auths = JSON.parse(Buffer.from(registryConfig, 'base64').toString('utf8')) as Record<
        string,
        AuthConfig
      >;
    } catch {
      auths = {};
    }
  }
  return {
    dockerfileName: q.string('dockerfile') || undefined,
    tags: q.all('t').filter(Boolean),
    buildArgs: jsonParam<Record<string, string | null>>(ctx, 'buildargs') ?? {},
    labels: jsonParam<Record<string, string>>(ctx, 'labels') ?? {},
    target: q.string('target') || undefined,
    noCache: q.bool('nocache'),
    pull: q.bool('pull'),
    // --force-rm or --rm: intermediate containers go; a failed step's container always goes.
    rm: q.bool('rm', true) || q.bool('forcerm'),
    cacheFrom: Array.isArray(cacheFrom) ? cacheFrom : [],
    networkMode: q.string('networkmode') || 'default',
    extraHosts,
    resources,
    platform: q.string('platform') || undefined,
    quiet: q.bool('q'),
    remote: q.string('remote') || undefined,
    version: q.string('version') || undefined,
    buildId: q.string('buildid') || undefined,
    auths,
  };
}

export function registerBuildRoutes(router: Router, builds: BuildService): void {
  router.post('/build', async (ctx) => {
    const p = params(ctx);
    builds.check(p);
    const abort = new AbortController();
    // A client that hangs up cancels the build (its containers and temp dirs are cleaned up).
    const onClose = (): void => {
      if (!ctx.res?.writableFinished) abort.abort(new Error('client disconnected'));
    };
    ctx.res?.once('close', onClose);
    let res: ReturnType<Ctx['stream']> | undefined;
    const out = (): ReturnType<Ctx['stream']> => (res ??= ctx.stream(200, 'application/json'));
    // Lines sent in one turn of the event loop leave in one write (a cached step is three lines).
    let corked = false;
    const send = (m: unknown): void => {
      const r = out();
      if (!corked) {
        corked = true;
        r.cork();
        setImmediate(() => {
          corked = false;
          r.uncork();
        });
      }
      r.write(line(m));
    };
    try {
      await builds.build(ctx.req, p, send, abort.signal);
    } catch (e) {
      if (abort.signal.aborted) return;
      if (e instanceof DockerfileSyntaxError && !res) throw new InvalidArgument(e.message);
      if (!res && !(e instanceof StepError)) throw e;
      const message = messageOf(e);
      const code = e instanceof StepError ? e.code : undefined;
      out().write(
        line({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message }),
      );
    } finally {
      ctx.res?.off('close', onClose);
    }
    if (!ctx.res?.destroyed) out().end();
  });

  router.post('/build/prune', async (ctx) => {
    const filters = ctx.query.filters();
    const until = filters.get('until');
    const untilMs = until ? parseDurationMs([...until][0]) : undefined;
    ctx.send(
      200,
      await builds.prune({
        all: ctx.query.bool('all'),
        keepStorage: ctx.query.int('keep-storage') ?? 0,
        until: untilMs,
      }),
    );
  });

  router.post('/build/cancel', (ctx) => {
    const id = ctx.query.string('id');
    if (!id) throw new InvalidArgument('build ID not provided');
    builds.cancel(id);
    ctx.send(200);
  });
}

/** `until=24h` style filters: a non-negative Go duration in ms (a bare number still counts as seconds). */
function parseDurationMs(v: string): number {
  const t = v.trim();
  const ns = parseGoDuration(/^\d+(?:\.\d+)?$/.test(t) ? `${t}s` : t);
  if (ns === undefined || ns < 0) throw new InvalidArgument(`invalid filter 'until=${v}'`);
  return ns / 1e6;
}
