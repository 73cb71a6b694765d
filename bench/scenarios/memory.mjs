// Memory: the daemon side (berthd alone vs dockerd + its containerd) idle and
// with 50 running containers, and the per-container monitor (conmon vs
// containerd-shim-runc-v2), as resident set sizes read from /proc; the
// monitors also as proportional set sizes (their shared libraries split
// among them), which is what each added container costs.
import { createContainers, removeContainers } from '../lib/api.mjs';
import { pssMiB, rssMiB, sleep } from '../lib/proc.mjs';

const sum = (pids) =>
  pids
    .map(rssMiB)
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
const mean = (pids, size = rssMiB) => {
  const xs = pids.map(size).filter(Number.isFinite);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
};

/** Running containers for the loaded measurement (fewer in --quick). */
const count = (ctx) => (ctx.quick ? 5 : 50);

export const rssIdle = {
  id: 'rss-idle',
  title: 'daemon RSS, idle',
  unit: 'MiB',
  warmup: false,
  runs: { quick: 3, full: 5 },
  async measure(eng) {
    await sleep(300);
    return sum(eng.daemonPids());
  },
};

export const rss50 = {
  id: 'rss-50',
  warmup: false,
  runs: { quick: 2, full: 5 },
  metrics: [
    { id: 'rss-50', title: (ctx) => `daemon RSS, ${count(ctx)} containers`, unit: 'MiB' },
    { id: 'monitor-rss', title: 'monitor RSS per container', unit: 'MiB' },
    { id: 'monitor-pss', title: 'monitor PSS per container (shared pages split)', unit: 'MiB' },
  ],
  async setup(eng, ctx) {
    ctx.rss50 ??= {};
    ctx.rss50[eng.name] = await createContainers(eng.host, `mem${process.pid}${eng.name}`, count(ctx), {
      cmd: ['sleep', '100000'],
      start: true,
    });
  },
  async measure(eng, ctx) {
    await sleep(300);
    const monitors = eng.monitorPids();
    if (monitors.length < count(ctx))
      throw new Error(`expected ${count(ctx)} monitors, found ${monitors.length}`);
    return {
      'rss-50': sum(eng.daemonPids()),
      'monitor-rss': mean(monitors),
      'monitor-pss': mean(monitors, pssMiB),
    };
  },
  teardown: (eng, ctx) => removeContainers(eng.host, ctx.rss50[eng.name]),
};
