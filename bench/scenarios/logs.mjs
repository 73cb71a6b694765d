// `logs` of 100 MiB a container wrote: the log driver's read path
// (dockerd's json-file vs berth's k8s-file), output sent to /dev/null.
import { closeSync, openSync } from 'node:fs';
import { removeContainers } from '../lib/api.mjs';

const MIB = { quick: 10, full: 100 };
const mib = (ctx) => (ctx.quick ? MIB.quick : MIB.full);
const LINE =
  '0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz';

export const logs100 = {
  id: 'logs-100m',
  title: (ctx) => `logs of ${mib(ctx)} MiB`,
  unit: 'ms',
  berthCli: true,
  warmup: (ctx) => !ctx.quick, // set-up has just written the log: it is in the page cache
  runs: { quick: 2, full: 5 },
  async setup(eng, ctx) {
    const name = `lg${process.pid}${eng.name}`;
    await eng.cli.okAsync([
      'run',
      '-d',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      `yes ${LINE} | head -c ${mib(ctx) * 1024 * 1024}`,
    ]);
    await eng.cli.okAsync(['wait', name], { timeoutMs: 600_000 });
    ctx.logs ??= {};
    ctx.logs[eng.name] = name;
  },
  teardown: (eng, ctx) => removeContainers(eng.host, [ctx.logs?.[eng.name]].filter(Boolean)),
  measure(eng, ctx, cli) {
    const fd = openSync('/dev/null', 'w');
    try {
      const r = cli(['logs', ctx.logs[eng.name]], { stdout: fd });
      if (r.code !== 0) throw new Error(`logs: ${r.stderr.trim()}`);
      return r.ms;
    } finally {
      closeSync(fd);
    }
  },
};
