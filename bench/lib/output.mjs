// Where a run's results go: a complete full run to bench/results/<date>-<host>
// (the reference the READMEs link), a complete --quick run beside it as
// <date>-<host>-quick (so a smoke test never replaces the full figures), and
// a partial run (--only, either mode) to /tmp/berth-bench-results/<date>-<host>.
import os from 'node:os';
import path from 'node:path';

/** The path of the results files without the .json/.md/.png extension. */
export function resultsBase({ root, date, host, quick, only }) {
  const dir = only ? path.join(os.tmpdir(), 'berth-bench-results') : path.join(root, 'bench/results');
  return path.join(dir, `${date}-${host}${quick && !only ? '-quick' : ''}`);
}
