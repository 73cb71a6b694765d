// The same images in both engines: busybox (the test suite's rootfs tar,
// built from Debian's busybox-static) imported with `CMD ["sh"]`, and a
// ~100 MiB rootfs tar (busybox plus incompressible data; 20 MiB in --quick)
// for the transfer scenarios. Both engines import side by side while the
// big tar is being written.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { must, runAsync } from './proc.mjs';

export const bigMiB = (ctx) => (ctx.quick ? 20 : 100);

export async function prepareImages(ctx, engines) {
  const { busyboxTar } = await import(path.join(ctx.root, 'dist/test/support/images.js'));
  ctx.busyboxTar = busyboxTar();
  const imports = Object.values(engines).map((eng) =>
    eng.cli.okAsync(['import', '-c', 'CMD ["sh"]', ctx.busyboxTar, 'busybox:latest']),
  );
  // Written while the engines import (the imports are child processes).
  const written = writeBigTar(ctx);
  const outcomes = await Promise.allSettled([...imports, written]);
  const failed = outcomes.find((o) => o.status === 'rejected');
  if (failed) throw failed.reason;
}

async function writeBigTar(ctx) {
  const dir = path.join(ctx.tmp, 'big');
  mkdirSync(path.join(dir, 'rootfs/data'), { recursive: true });
  must('tar', ['-xf', ctx.busyboxTar, '-C', path.join(dir, 'rootfs')]);
  ctx.bigMiB = bigMiB(ctx);
  for (let i = 0; i < ctx.bigMiB / 4; i++)
    writeFileSync(path.join(dir, `rootfs/data/blob${i}`), randomBytes(4 * 1024 * 1024));
  ctx.bigTar = path.join(dir, 'big.tar');
  const r = await runAsync('tar', ['-cf', ctx.bigTar, '-C', path.join(dir, 'rootfs'), '.']);
  if (r.code !== 0) throw new Error(`tar -cf ${ctx.bigTar}: ${r.stderr.trim()}`);
}
