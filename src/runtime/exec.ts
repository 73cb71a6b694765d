// exec sessions: each `docker exec` gets its own conmon (`conmon -e --exec-attach`)
// running `runc exec --process <spec>`. We pick conmon over a bare
// `runc exec` (measured ~10 ms faster) because conmon gives the same TTY
// handling as containers (PTY master held by the monitor, resize through its
// ctl FIFO: a foreground runc exec can only take its size from its own
// terminal), reports the exit code on its sync pipe, and waits for our attach
// before starting the process, so no early output is lost.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connectAttach } from './attach.js';
import { ALL_CAPS } from './caps.js';
import { spawnConmon, type ConmonHandle } from './conmon.js';
import { startError, withTimeout, writeCtl } from './monitor-util.js';
import type { OciSpec } from './spec.js';
import type { ExecProcess, ExecSpec } from './types.js';
import { resolveUser } from './user.js';

/** Quiet time after an exec's exit before its session ends without EOF (longer than a container's: the monitor may still be writing). */
const EXEC_QUIET_MS = 1000;

export interface ExecRequest {
  execRoot: string;
  bin: { path: string; root: string };
  cid: string;
  /** The container's config.json. */
  config: OciSpec;
  spec: ExecSpec;
}

export async function startExec(o: ExecRequest): Promise<ExecProcess> {
  const spec = o.spec;
  const execId = randomBytes(16).toString('hex');
  // Named after the container too, so deleting the container clears sessions a crashed engine left.
  const dir = path.join(o.execRoot, 'x', `${o.cid.slice(0, 12)}-${execId.slice(0, 12)}`);
  mkdirSync(dir, { recursive: true });
  const processSpec = execProcessSpec(o.config, spec);
  writeFileSync(path.join(dir, 'process.json'), JSON.stringify(processSpec));

  const conmon: ConmonHandle = spawnConmon({
    cid: o.cid,
    cuuid: execId,
    runtimePath: o.bin.path,
    runtimeRoot: o.bin.root,
    bundle: dir,
    exitDir: dir,
    tty: spec.tty,
    stdin: spec.attachStdin,
    leaveStdinOpen: false,
    exec: { processSpec: path.join(dir, 'process.json'), attach: true },
  });
  const cleanup = () => {
    conmon.release();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    conmon.start.write('go');
    const ready = await withTimeout(conmon.attachPipe!.next(), 'the exec monitor');
    if (!ready) throw startError('OCI runtime exec failed', conmon.stderr());
    const streams = await connectAttach(path.join(dir, 'attach'), { stdin: spec.attachStdin });
    conmon.start.write('go');
    const r = await withTimeout(conmon.sync.next(), 'the exec process');
    if (!r || r.data <= 0) {
      streams.close();
      throw startError('OCI runtime exec failed', r?.message ?? conmon.stderr());
    }
    const exited = conmon.sync.next().then((x) => {
      cleanup();
      // The socket layer may not report the monitor's EOF (see attach.ts): once the
      // process has exited, end the session after its queued output has gone quiet.
      streams.closeWhenQuiet(EXEC_QUIET_MS);
      return x ? x.data : -1;
    });
    return {
      pid: r.data,
      stdin: streams.stdin,
      stdout: streams.stdout,
      stderr: spec.tty ? undefined : streams.stderr,
      exited,
      resize: (rows, cols) => {
        try {
          writeCtl(dir, `1 ${rows} ${cols}\n`);
        } catch {
          /* exec already finished */
        }
      },
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** The exec process inherits the container's process (rlimits, caps, …) like Docker's. */
export function execProcessSpec(config: OciSpec, spec: ExecSpec): Record<string, unknown> {
  const base = config.process;
  const env = new Map<string, string>();
  for (const kv of [...base.env, ...spec.env]) env.set(kv.split('=')[0], kv);
  let user = base.user;
  if (spec.user) {
    const u = resolveUser(config.root.path, spec.user);
    user = {
      uid: u.uid,
      gid: u.gid,
      ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}),
    };
  }
  const caps = spec.privileged
    ? { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS }
    : base.capabilities;
  if (spec.tty && !env.has('TERM')) env.set('TERM', 'TERM=xterm');
  return {
    ...base,
    terminal: spec.tty,
    args: spec.args,
    env: [...env.values()],
    cwd: spec.cwd || base.cwd,
    user,
    capabilities: caps,
  };
}
