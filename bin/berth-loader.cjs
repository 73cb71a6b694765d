// Runs the CommonJS build of the CLI (dist/berth.cjs) through vm.Script with
// a V8 code cache beside it: parsing and compiling the bundle is most of a
// short command's start-up, and Node 20 caches nothing for ES modules. The
// cache is written once (temp file + rename) by the first run, and again
// whenever V8 rejects it (a rebuilt bundle, another Node version).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire, wrap } = require('node:module');

const file = path.join(__dirname, '..', 'dist', 'berth.cjs');
// V8 checks little more than the source length, so the cache is keyed by
// the bundle's mtime and size: a rebuild never meets an old cache.
const st = fs.statSync(file);
const cacheFile = `${file}.${Math.trunc(st.mtimeMs)}-${st.size}.cache`;
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
  // The bundle keeps a few dynamic import()s (node: builtins); without this
  // vm.Script refuses them ("A dynamic import callback was not specified").
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (!cachedData || script.cachedDataRejected) {
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
      const dir = path.dirname(file);
      for (const old of fs.readdirSync(dir))
        if (/^berth\.cjs\..*\.cache$/.test(old) && path.join(dir, old) !== cacheFile)
          fs.rmSync(path.join(dir, old), { force: true });
    } catch {
      fs.rmSync(tmp, { force: true }); // a read-only install simply runs without a cache
    }
  });
}
const mod = { exports: {}, filename: file, id: file, loaded: false };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, path.dirname(file));
