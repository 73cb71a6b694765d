// /_ping, /version, /info, /events.
import type { Daemon } from '../../engine/daemon.js';
import { eventJson, eventMatcher, parseEventTime } from '../../engine/event-filter.js';
import { systemInfo, systemVersion } from '../../engine/system.js';
import { InvalidArgument } from '../errors.js';
import type { Ctx } from '../context.js';
import type { Router } from '../router.js';
import { API_VERSION } from '../version.js';

export function registerSystemRoutes(router: Router, daemon: Daemon): void {
  const ping = (ctx: Ctx): void => {
    const res = ctx.res!;
    res.writeHead(200, {
      'Api-Version': API_VERSION,
      'Builder-Version': '1',
      'Docker-Experimental': 'false',
      // dockerd always reports its swarm state; the CLI reads it to hide swarm commands.
      Swarm: 'inactive',
      Ostype: 'linux',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': ctx.req.method === 'HEAD' ? '0' : '2',
    });
    res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  router.get('/_ping', ping).head('/_ping', ping);
  router.get('/version', (ctx) => ctx.send(200, systemVersion(daemon)));
  router.get('/info', (ctx) => ctx.send(200, systemInfo(daemon, ctx.version)));
  router.get('/events', (ctx) => streamEvents(ctx, daemon));
}

function streamEvents(ctx: Ctx, daemon: Daemon): void {
  let since: bigint | undefined;
  let until: bigint | undefined;
  try {
    since = parseEventTime(ctx.query.string('since'));
    until = parseEventTime(ctx.query.string('until'));
  } catch (e) {
    throw new InvalidArgument((e as Error).message);
  }
  const matches = eventMatcher(ctx.query.filters());
  const res = ctx.stream(200, 'application/json');
  const write = (ev: Parameters<typeof matches>[0]): void => {
    res.write(JSON.stringify(eventJson(ev)) + '\n');
  };
  const inWindow = (ns: bigint): boolean =>
    (since === undefined || ns >= since) && (until === undefined || ns <= until);

  // Docker replays the ring only when `since` is given.
  if (since !== undefined)
    for (const ev of daemon.events.history()) if (inWindow(BigInt(ev.timeNano)) && matches(ev)) write(ev);

  const nowNs = BigInt(Date.now()) * 1_000_000n;
  if (until !== undefined && until <= nowNs) return void res.end();

  const unsubscribe = daemon.events.subscribe((ev) => {
    if (inWindow(BigInt(ev.timeNano)) && matches(ev)) write(ev);
  });
  let timer: NodeJS.Timeout | undefined;
  const finish = (): void => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  if (until !== undefined) timer = setTimeout(finish, Number((until - nowNs) / 1_000_000n));
  ctx.req.socket.once('close', finish);
  res.once('close', finish);
}
