// The command line of a private dockerd, shared by the differential tests
// (test/support/dockerd.ts) and the benchmark (bench/lib/engines.mjs, which
// imports the built dist/test/support/dockerd-args.js): everything lives
// under `dir`, its own socket, an empty daemon.json (never the machine's
// /etc/docker/daemon.json) and a bridge the caller created (never docker0,
// never `--bridge none`, which deletes docker0).
import path from 'node:path';

/** Where a private dockerd keeps its config; the caller writes `{}` (or more) there. */
export const dockerdConfigPath = (dir: string): string => path.join(dir, 'daemon.json');

export function privateDockerdArgs(
  dir: string,
  sock: string,
  bridge: string,
  extra: string[] = [],
): string[] {
  return [
    '-H',
    `unix://${sock}`,
    '--data-root',
    path.join(dir, 'data'),
    '--exec-root',
    path.join(dir, 'exec'),
    '--pidfile',
    path.join(dir, 'dockerd.pid'),
    '--config-file',
    dockerdConfigPath(dir),
    `--bridge=${bridge}`,
    '--log-level',
    'warn',
    ...extra,
  ];
}
