// The same images in both engines: busybox (the test suite's rootfs tar,
// built from Debian's busybox-static) imported with `CMD ["sh"]`, and a
// ~100 MiB rootfs tar (busybox plus incompressible data; 40 MiB in --quick)
// for the transfer scenarios.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { must } from './proc.mjs';

export async function prepareImages(ctx, engines) {
  const { busyboxTar } = await import(path.join(ctx.root, 'dist/test/support/images.js'));
  ctx.busyboxTar = busyboxTar();
  for (const eng of Object.values(engines)) {
    if (eng.cli(['image', 'inspect', 'busybox:latest']).code === 0) continue;
    eng.cli.ok(['import', '-c', 'CMD ["sh"]', ctx.busyboxTar, 'busybox:latest']);
  }
  const dir = path.join(ctx.tmp, 'big');
  mkdirSync(path.join(dir, 'rootfs/data'), { recursive: true });
  must('tar', ['-xf', ctx.busyboxTar, '-C', path.join(dir, 'rootfs')]);
  ctx.bigMiB = ctx.quick ? 40 : 100;
  for (let i = 0; i < ctx.bigMiB / 4; i++)
    writeFileSync(path.join(dir, `rootfs/data/blob${i}`), randomBytes(4 * 1024 * 1024));
  ctx.bigTar = path.join(dir, 'big.tar');
  must('tar', ['-cf', ctx.bigTar, '-C', path.join(dir, 'rootfs'), '.']);
}
