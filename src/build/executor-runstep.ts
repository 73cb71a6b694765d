// RUN: the command (shell form through SHELL, exec form as is, a heredoc
// as the script) runs in a container made from the stage's current image,
// with build args as env, the network the step or the request asks for, and
// BuildKit's `--mount=type=cache|bind|tmpfs`; its changes become a layer
// (none when it changed nothing, as dockerd records an empty layer).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { StepError } from './copy.js';
import { copyContents, resolveInRoot } from './copy-fs.js';
import { commitStep } from './executor-state.js';
import type { Steps } from './executor-steps.js';
import { shellOf } from './image-config.js';
import { stageRef } from './stages.js';
import type { Instruction } from './types.js';

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

interface MountSpec {
  type: string;
  target: string;
  source?: string;
  from?: string;
  id?: string;
  rw: boolean;
  size?: string;
}

export function parseMount(value: string): MountSpec {
  const m: MountSpec = { type: 'bind', target: '', rw: false };
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const k = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    const v = eq === -1 ? 'true' : part.slice(eq + 1).trim();
    if (k === 'type') m.type = v;
    else if (k === 'target' || k === 'dst' || k === 'destination') m.target = v;
    else if (k === 'source' || k === 'src') m.source = v;
    else if (k === 'from') m.from = v;
    else if (k === 'id') m.id = v;
    else if (k === 'rw' || k === 'readwrite') m.rw = v !== 'false';
    else if (k === 'ro' || k === 'readonly') m.rw = v === 'false';
    else if (k === 'size') m.size = v;
  }
  if (!['bind', 'cache', 'tmpfs'].includes(m.type)) throw new StepError(`unsupported mount type "${m.type}"`);
  if (!m.target) throw new StepError('mount target must be specified');
  // A cache is writable unless it says otherwise.
  if (m.type === 'cache' && !/(^|,)\s*(ro|readonly)\b/.test(value)) m.rw = true;
  return m;
}

/** The command the container runs, from the instruction's form. */
function runCommand(s: Steps, ins: Instruction): string[] {
  if (ins.json) return [...ins.args];
  const shell = shellOf(s.st.config);
  const line = ins.args[0] ?? '';
  // `RUN <<EOF` alone: the here-document is the script.
  if (ins.heredocs.length === 1 && /^<<-?(["']?)[^\s'"]+\1$/.test(line.trim()))
    return [...shell, ins.heredocs[0].content];
  if (ins.heredocs.length) {
    // `RUN cmd <<EOF`: the shell reads the here-documents itself.
    const docs = ins.heredocs
      .map((h) => `${h.content}${h.content.endsWith('\n') ? '' : '\n'}${h.name}\n`)
      .join('');
    return [...shell, `${line}\n${docs}`];
  }
  return [...shell, line];
}

export async function runStep(s: Steps, ins: Instruction): Promise<void> {
  const st = s.st;
  const x = s.x;
  if (!st.imageId)
    throw new StepError('The command requires a base image with a shell: FROM scratch has none');
  const cmd = runCommand(s, ins);
  const args = s.runArgs();
  const saveCmd = args.env.length ? [`|${args.history.length}`, ...args.history, ...cmd] : cmd;
  const network = ins.flags.find((f) => f.name === 'network')?.value ?? 'default';
  if (!['default', 'none', 'host'].includes(network))
    throw new StepError(`unsupported network mode "${network}"`);
  const mounts = ins.flags.filter((f) => f.name === 'mount').map((f) => parseMount(f.value));
  const key = { run: saveCmd, network, mounts };
  if (s.tryCache(key, saveCmd.join(' '))) return;

  const parent = st.imageId;
  const engine = x.engine;
  const scratch = mkdtempSync(path.join(x.deps.tmp, 'build-run-'));
  const releases: (() => Promise<void>)[] = [];
  let id: string | null = null;
  try {
    const binds: string[] = [];
    const tmpfs: Record<string, string> = {};
    for (const m of mounts) {
      if (m.type === 'tmpfs') tmpfs[m.target] = m.size ? `size=${m.size}` : '';
      else if (m.type === 'cache') {
        const dir = path.join(
          x.deps.cacheMounts,
          createHash('sha256')
            .update(m.id ?? m.target)
            .digest('hex')
            .slice(0, 32),
        );
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        binds.push(`${dir}:${m.target}`);
      } else binds.push(`${await bindSource(s, m, scratch, releases)}:${m.target}${m.rw ? '' : ':ro'}`);
    }
    const mode = network === 'default' ? x.req.networkMode || 'default' : network;
    id = await engine.createContainer({
      parentImage: parent,
      cmd,
      env: [...(st.config.Env ?? []), ...args.env],
      workdir: st.config.WorkingDir,
      user: st.config.User,
      networkMode: mode,
      binds,
      tmpfs,
      extraHosts: x.req.extraHosts,
      resources: x.req.resources,
    });
    st.out.text(` ---> Running in ${short(id)}\n`);
    const code = await engine.run(id, (fd, data) => st.out.output(fd, data), s.signal);
    if (s.signal.aborted) throw s.signal.reason ?? new Error('build cancelled');
    if (code !== 0)
      throw new StepError(`The command '${cmd.join(' ')}' returned a non-zero code: ${code}`, code);
    const layer = await engine.commitUpper(
      id,
      st.topLayer,
      mounts.map((m) => m.target),
    );
    commitStep(x.deps.images, st, { containerCmd: saveCmd, containerId: id, layer });
    s.remember(parent, key);
    if (x.req.rm) {
      await engine.removeContainer(id);
      st.out.text(`Removing intermediate container ${short(id)}\n`);
    }
    id = null; // --rm=false keeps it, as dockerd does

    st.out.text(` ---> ${short(st.imageId)}\n`);
  } finally {
    // A failed step leaves no container behind.
    if (id) await engine.removeContainer(id).catch(() => undefined);
    for (const r of releases.reverse()) await r().catch(() => undefined);
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** The host directory a `type=bind` mount shows: from the context or an earlier stage/image, read-only unless rw (then a throw-away copy). */
async function bindSource(
  s: Steps,
  m: MountSpec,
  scratch: string,
  releases: (() => Promise<void>)[],
): Promise<string> {
  const x = s.x;
  let root = x.req.contextDir;
  if (!m.from) await x.req.context?.materialize();
  if (m.from) {
    const idx = stageRef(x.req.dockerfile.stages, s.st.plan.stage.index, m.from);
    const imageId = idx !== null ? x.stageResult(idx).imageId : x.deps.images.get(m.from).id;
    const top = x.deps.images.get(imageId).topLayer;
    root = await new Promise<string>((resolve, reject) => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      x.engine
        .withImageRootfs(top, async (rootfs) => {
          resolve(rootfs);
          await held;
        })
        .catch(reject);
      releases.push(async () => release());
    });
  }
  const src = await resolveInRoot(root, m.source ?? '/', true);
  if (!(await fs.lstat(src).catch(() => null)))
    throw new StepError(`failed to compute cache key: "${m.source}" not found`);
  if (!m.rw) return src;
  const copy = path.join(scratch, `bind-${Math.random().toString(36).slice(2)}`);
  await fs.mkdir(copy);
  if ((await fs.stat(src)).isDirectory()) await copyContents(src, copy, {});
  return copy;
}
