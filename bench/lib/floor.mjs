// The floor: bare `runc run` of a bundle holding the same busybox rootfs and
// `true`, with no engine and no monitor at all. Nothing can be faster.
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { must, run } from './proc.mjs';

let n = 0;

export const runcFloor = {
  setup(ctx) {
    const dir = path.join(ctx.tmp, 'floor');
    const rootfs = path.join(dir, 'bundle/rootfs');
    mkdirSync(rootfs, { recursive: true });
    must('tar', ['-xf', ctx.busyboxTar, '-C', rootfs]);
    must('runc', ['spec', '--bundle', path.join(dir, 'bundle')]);
    const cfgPath = path.join(dir, 'bundle/config.json');
    const spec = JSON.parse(readFileSync(cfgPath, 'utf8'));
    spec.process.args = ['true'];
    spec.process.terminal = false;
    writeFileSync(cfgPath, JSON.stringify(spec));
    ctx.floor = { dir, bundle: path.join(dir, 'bundle'), state: path.join(dir, 'state') };
  },
  measure(ctx) {
    const id = `bench-floor-${process.pid}-${++n}`;
    const r = run('runc', ['--root', ctx.floor.state, 'run', '--bundle', ctx.floor.bundle, id], {
      stdout: 'ignore',
    });
    if (r.code !== 0) throw new Error(`runc run: ${r.stderr.trim()}`);
    return r.ms;
  },
  teardown(ctx) {
    if (ctx.floor) rmSync(ctx.floor.dir, { recursive: true, force: true });
  },
};
