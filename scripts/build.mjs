// Build: tsc type-checks and emits dist/ (used by tests), esbuild bundles the
// two entry points into single files so `berth` starts without resolving
// hundreds of modules.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync('node_modules/.bin/tsc', ['-p', 'tsconfig.json'], { stdio: 'inherit' });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  external: ['better-sqlite3', 'node-unix-socket'],
  banner: {
    js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
};
for (const name of ['berth', 'berthd']) {
  const outfile = `dist/${name}.mjs`;
  await build({ ...common, entryPoints: [`src/bin/${name}.ts`], outfile, banner: { js: `#!/usr/bin/env node\n${common.banner.js}` } });
  chmodSync(outfile, 0o755);
}
