// COPY and ADD as build steps: sources from the context, an earlier stage or
// an image (`--from`), here-documents, or URLs (ADD); the cache key is the
// content hash of what is copied plus the destination and the flags; the
// files are written into a scratch overlay over the stage's image and the
// upper dir becomes the step's layer. `--chown` names are looked up in the
// image's own /etc/passwd and /etc/group.
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fs } from 'node:fs';
import path from 'node:path';
import {
  copyToRootfs,
  destPath,
  download,
  isUrl,
  resolveSources,
  StepError,
  type CopySource,
} from './copy.js';
import { resolveInRoot } from './copy-fs.js';
import { commitStep } from './executor-state.js';
import type { Steps } from './executor-steps.js';
import { nopCmdString } from './image-config.js';
import { stageRef } from './stages.js';
import type { Instruction } from './types.js';

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export async function copyStep(s: Steps, ins: Instruction): Promise<void> {
  const x = s.x;
  const st = s.st;
  const cmdName = ins.keyword;
  const words = ins.args.map((w) => (isHeredocWord(w, ins) ? w : s.expand(w)));
  if (words.length < 2) throw new StepError(`${cmdName} requires at least two arguments`);
  const destRaw = words.pop()!;
  const dest = destPath(destRaw, st.config.WorkingDir);
  const flag = (n: string): string | undefined => ins.flags.find((f) => f.name === n)?.value;
  const from = flag('from') ? s.expand(flag('from')!) : undefined;
  const chown = flag('chown') ? s.expand(flag('chown')!) : undefined;
  const chmod = flag('chmod');
  if (chmod !== undefined && !/^[0-7]{3,4}$/.test(chmod))
    throw new StepError(`invalid chmod parameter: ${chmod}`);
  const mode = chmod !== undefined ? parseInt(chmod, 8) : undefined;
  // Made on first use: a step found in the cache touches no directory at all.
  let made: string | null = null;
  const scratch = (): string => (made ??= mkdtempSync(path.join(x.deps.tmp, 'build-copy-')));
  try {
    if (from) {
      const idx = stageRef(x.req.dockerfile.stages, st.plan.stage.index, from);
      let imageId: string;
      if (idx !== null) imageId = x.stageResult(idx).imageId;
      else {
        try {
          imageId = x.deps.images.get(from).id;
        } catch {
          await x.deps.pull(from, (m) => st.out.write(m), s.signal);
          imageId = x.deps.images.get(from).id;
        }
      }
      // The source image fixes the content: ask the cache before mounting anything.
      const hash = createHash('sha256')
        .update(JSON.stringify([imageId, words]))
        .digest('hex');
      const key = { copyFrom: hash, keyword: cmdName, dest, chown, mode };
      if (s.tryCache(key)) return;
      const top = x.deps.images.get(imageId).topLayer;
      await x.engine.withImageRootfs(top, async (root) => {
        const sources = await resolveSources(root, words, cmdName, false);
        await finish(s, ins, sources, hash, dest, destRaw, chown, mode, scratch, key);
      });
      return;
    }
    // Context sources alone: the cache key comes from the context as received, with no file read.
    const model = words.every((w) => !isHeredocWord(w, ins) && !isUrl(w))
      ? x.req.context?.hashSources(words)
      : null;
    if (model) {
      const { cmd, key } = copyKey(s, ins, model.kind, model.hash, dest, destRaw, chown, mode);
      if (s.tryCache(key, cmd.join(' '))) return;
    }
    const sources: CopySource[] = [];
    for (const w of words) {
      const doc = heredocFor(w, ins);
      if (doc !== null) {
        const file = path.join(scratch(), `heredoc-${sources.length}`);
        await fs.writeFile(file, doc.content, { mode: 0o644 });
        sources.push({ abs: file, rel: doc.name, st: await fs.lstat(file) });
      } else if (isUrl(w)) {
        if (cmdName !== 'ADD') throw new StepError(`source can't be a URL for COPY`);
        const dir = await fs.mkdtemp(path.join(scratch(), 'url-'));
        sources.push(await download(w, dir, s.signal));
      } else {
        await x.req.context?.materialize();
        sources.push(...(await resolveSources(x.req.contextDir, [w], cmdName, true)));
      }
    }
    const hash = await x.hasher.hashSources(sources);
    await finish(s, ins, sources, hash, dest, destRaw, chown, mode, scratch);
  } finally {
    if (made) await fs.rm(made, { recursive: true, force: true });
  }
}

async function finish(
  s: Steps,
  ins: Instruction,
  sources: CopySource[],
  hash: string,
  dest: string,
  destRaw: string,
  chown: string | undefined,
  mode: number | undefined,
  scratch: () => string,
  checkedKey?: unknown,
): Promise<void> {
  const x = s.x;
  const st = s.st;
  const kind = sources.length === 1 ? (sources[0].st.isDirectory() ? 'dir' : 'file') : 'multi';
  const made = copyKey(s, ins, kind, hash, dest, destRaw, chown, mode);
  const cmd = made.cmd;
  const key = checkedKey ?? made.key;
  if (!checkedKey && s.tryCache(key, cmd.join(' '))) return;
  const parent = st.imageId;
  const { layer } = await x.engine.withScratchRootfs(st.topLayer, async (rootfs) => {
    const ids = chown ? await resolveChown(rootfs, chown) : {};
    await copyToRootfs(rootfs, sources, dest, ins.keyword, {
      ...ids,
      mode,
      add: ins.keyword === 'ADD',
      tmp: scratch(),
    });
  });
  commitStep(x.deps.images, st, { containerCmd: cmd, layer });
  s.remember(parent, key);
  st.out.text(` ---> ${short(st.imageId)}\n`);
}

/** The history command and cache key of a COPY/ADD whose sources hash to `hash`. */
function copyKey(
  s: Steps,
  ins: Instruction,
  kind: string,
  hash: string,
  dest: string,
  destRaw: string,
  chown: string | undefined,
  mode: number | undefined,
): { cmd: string[]; key: unknown } {
  // dockerd 20.10 glues the --chown value to the source description.
  const chownNote = chown ? `--chown=${chown}` : '';
  const cmd = nopCmdString(s.st.config, `${ins.keyword} ${chownNote}${kind}:${hash} in ${destRaw} `);
  return { cmd, key: { copy: cmd, dest, chown, mode } };
}

function isHeredocWord(w: string, ins: Instruction): boolean {
  return heredocFor(w, ins) !== null;
}

function heredocFor(w: string, ins: Instruction): { name: string; content: string } | null {
  const m = /^<<-?(["']?)([^\s'"]+)\1$/.exec(w);
  if (!m) return null;
  return ins.heredocs.find((h) => h.name === m[2]) ?? null;
}

/** `--chown=user[:group]`: names from the image's files; a lone user also names the group, as the legacy builder reads it. */
export async function resolveChown(rootfs: string, spec: string): Promise<{ uid: number; gid: number }> {
  const [user, group = user] = spec.split(':');
  const read = async (f: string): Promise<string[][]> =>
    (await fs.readFile(await resolveInRoot(rootfs, f), 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(':'));
  const num = (v: string): number | null => (/^\d+$/.test(v) ? Number(v) : null);
  let uid = num(user);
  if (uid === null) {
    const row = (await read('etc/passwd')).find((r) => r[0] === user);
    if (!row)
      throw new StepError(
        `unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`,
      );
    uid = Number(row[2]);
  }
  let gid = num(group);
  if (gid === null) {
    const row = (await read('etc/group')).find((r) => r[0] === group);
    if (!row)
      throw new StepError(
        `unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`,
      );
    gid = Number(row[2]);
  }
  return { uid, gid };
}
