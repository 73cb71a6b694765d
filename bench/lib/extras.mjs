// The component benchmarks other parts of berth keep beside this harness
// (layer unpack vs GNU tar, runtime create/exec vs bare runc, CLI start-up):
// run as they are, their output kept verbatim in the results.
import path from 'node:path';
import { run } from './proc.mjs';

export const EXTRAS = [
  {
    script: 'unpack.mjs',
    args: ['3'],
    what: 'layer unpack: berth layer store vs GNU tar (200 MB, 20k files)',
  },
  {
    script: 'runtime.mjs',
    args: ['5'],
    what: 'runtime: conmon+runc create/start and exec vs bare runc, conmon RSS',
  },
  { script: 'cli-startup.mjs', args: ['10'], what: 'CLI start-up: berth vs docker CLI against one berthd' },
];

export function runExtras(root, log) {
  return EXTRAS.map((e) => {
    log(`extra: bench/${e.script}`);
    const r = run(process.execPath, [path.join(root, 'bench', e.script), ...e.args], { timeoutMs: 900_000 });
    return {
      ...e,
      code: r.code,
      seconds: Math.round(r.ms / 100) / 10,
      output: (r.stdout + (r.code ? r.stderr : '')).trim(),
    };
  });
}
