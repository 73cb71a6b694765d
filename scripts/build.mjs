// Build: tsc type-checks and emits dist/ (used by the tests); esbuild bundles
// the two entry points into single files so `berth` starts without resolving
// hundreds of modules. Type errors fail the build, but only after the bundles
// are written, so one broken file does not stop everyone's test runs.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { chmodSync, existsSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

// The native addon (native/, binding.gyp; src/util/native.ts) is built by `npm ci`. A checkout
// updated without npm ci gets it rebuilt here when its source is newer. berthd runs without it
// (spawning mount/ip/conmon instead), so a failed build only warns.
function ensureAddon() {
  const out = 'build/Release/berth_sys.node';
  const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
  if (mtime(out) >= Math.max(mtime('native/berth_sys.c'), mtime('binding.gyp'))) return;
  const gyp = path.join(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  // node-gyp run outside npm would download headers; point it at the installed ones (.npmrc does the same for npm).
  const nodedir = path.resolve(path.dirname(process.execPath), '..');
  const args = existsSync(path.join(nodedir, 'include/node/node_api.h')) ? [`--nodedir=${nodedir}`] : [];
  const r = existsSync(gyp)
    ? spawnSync(process.execPath, [gyp, 'rebuild', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : { status: 1, stderr: `node-gyp not found at ${gyp}` };
  if (r.status !== 0)
    console.error(`native addon not built (berthd will spawn the tools instead):\n${(r.stderr ?? '').trim().split('\n').slice(-5).join('\n')}`);
}
ensureAddon();

const tsc = spawnSync('node_modules/.bin/tsc', ['-p', 'tsconfig.json'], { stdio: 'inherit' });

const banner =
  "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);";
for (const name of ['berth', 'berthd']) {
  const outfile = `dist/${name}.mjs`;
  await build({
    entryPoints: [`src/bin/${name}.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    external: ['better-sqlite3', 'node-unix-socket'],
    banner: { js: `#!/usr/bin/env node\n${banner}` },
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
}
// The CLI once more as CommonJS: bin/berth runs it through vm.Script with a
// V8 code cache (Node 20 has none for ES modules), which saves about a third
// of the start-up work. Optional: bin/berth falls back to dist/berth.mjs.
try {
  await build({
    entryPoints: ['src/bin/berth.ts'],
    outfile: 'dist/berth.cjs',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['better-sqlite3', 'node-unix-socket'],
    logLevel: 'error',
  });
} catch (e) {
  // A stale dist/berth.cjs would shadow the new dist/berth.mjs: remove it.
  rmSync('dist/berth.cjs', { force: true });
  console.error(`dist/berth.cjs not built (bin/berth will use dist/berth.mjs): ${e.message}`);
}
process.exit(tsc.status ?? 1);
