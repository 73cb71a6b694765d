// The build scenario's input: a context holding a tree of generated files
// (default 50 MiB) and a 12-step Dockerfile with two independent stages
// (one COPYs the tree and digests it, one generates files with RUN) and a
// final stage that COPYs --from both. `editOneFile` changes one file's
// content (the legacy builder's cache ignores mtimes, so a bare touch would
// not invalidate anything).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DOCKERFILE = `FROM busybox AS tree
WORKDIR /src
COPY tree/ ./
RUN find . -type f | wc -l > /files && du -sk . > /size
RUN mkdir /out && cat d0/* | md5sum > /out/tree.md5 && cp /files /size /out/
FROM busybox AS gen
RUN mkdir /out && i=0; while [ $i -lt 500 ]; do echo "line $i" >> /out/gen.txt; i=$((i+1)); done
RUN gzip -c /out/gen.txt > /out/gen.txt.gz
FROM busybox
COPY --from=tree /out /bench/tree
COPY --from=gen /out /bench/gen
RUN cat /bench/tree/tree.md5 /bench/tree/files > /bench/summary
`;

/** Number of build steps the legacy builder reports ("Step n/12"). */
export const STEPS = DOCKERFILE.trim().split('\n').length;

const FILE_KIB = 128;
const PER_DIR = 32;

/** Writes `<dir>/Dockerfile` and `<dir>/tree/d<k>/f<i>` (mib MiB in 128 KiB files); returns dir. */
export function writeBuildContext(dir, mib = 50) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
  const files = Math.max(1, Math.round((mib * 1024) / FILE_KIB));
  const chunk = Buffer.alloc(FILE_KIB * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919 + 13) & 0xff;
  for (let i = 0; i < files; i++) {
    const d = path.join(dir, 'tree', `d${Math.floor(i / PER_DIR)}`);
    if (i % PER_DIR === 0) mkdirSync(d, { recursive: true });
    chunk.writeUInt32LE(i, 0); // every file distinct
    writeFileSync(path.join(d, `f${i}`), chunk);
  }
  return dir;
}

/** Rewrites one file of the tree (in d0, which stage `tree` digests) with content unique to `tag`. */
export function editOneFile(dir, tag) {
  writeFileSync(path.join(dir, 'tree', 'd0', 'f0'), `edited ${tag}\n`);
}

/** How many steps the legacy builder's output says came from the cache. */
export const cacheHits = (output) => (output.match(/^ ---> Using cache$/gm) ?? []).length;
