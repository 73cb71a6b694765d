// `run`, `create`, `start` and `attach`: create (pulling a missing image like
// docker), then attach before start so no output is lost, wait for the exit
// and return the container's exit code.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ApiError } from '../client/client.js';
import { CliError, type CliContext } from './context.js';
import { type FlagDef, type ParsedFlags } from './containers-flags.js';
import { type CommandSpec, commandError, describeError } from './containers-command.js';
import { buildCreateRequest, CREATE_FLAGS, RUN_FLAGS, type CreateRequest } from './run-options.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys, runSession, type SessionEnd } from './attach.js';
import { makeRaw, monitorTtySize } from './tty.js';
import { displayJsonStream, JsonMessageError } from './format/progress.js';
import { registryAuthHeader } from './registry-credentials.js';
import { familiarString, parseReference, withDefaultTag, familiarName } from '../image/reference.js';

/** The exit code docker gives a failed start (runStartContainerErr). */
export function startErrorCode(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied|is a directory/.test(message)) return 126;
  return 125;
}

async function pullImage(ctx: CliContext, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  const ref = withDefaultTag(parseReference(image));
  const res = await ctx.client.call('POST', '/images/create', {
    query: { fromImage: familiarName(ref), tag: ref.digest ?? ref.tag, platform },
    headers: registryAuthHeader(ref.domain),
  });
  const sink = quiet ? { write: () => true } : ctx.err;
  await displayJsonStream(res, sink as NodeJS.WritableStream, { isTerminal: Boolean((ctx.err as NodeJS.WriteStream).isTTY) });
}

/** POST /containers/create, pulling the image when it is missing (pull=missing) or always. */
/** --cidfile: docker refuses an existing file before creating anything. */
function checkCidFile(file: string): void {
  if (file && existsSync(file)) throw new Error(`container ID file found, make sure the other container isn't running or delete ${file}`);
}

export async function createContainer(ctx: CliContext, req: CreateRequest, quiet: boolean, cidFile = ''): Promise<string> {
  checkCidFile(cidFile);
  const create = (): Promise<{ Id: string; Warnings?: string[] }> =>
    ctx.client.post('/containers/create', req.body, { name: req.name, platform: req.platform });
  if (req.pull === 'always') await pullImage(ctx, req.image, req.platform, quiet);
  let res: { Id: string; Warnings?: string[] };
  try {
    res = await create();
  } catch (e) {
    // Like docker, any NotFound from create means "pull, then try again".
    if (!(e instanceof ApiError) || e.status !== 404 || req.pull === 'never') throw e;
    let shown = req.image;
    try {
      shown = familiarString(withDefaultTag(parseReference(req.image)));
    } catch {
      /* the daemon's message about the reference will do */
    }
    ctx.err.write(`Unable to find image '${shown}' locally\n`);
    await pullImage(ctx, req.image, req.platform, quiet);
    res = await create();
  }
  for (const w of res.Warnings ?? []) ctx.err.write(`WARNING: ${w}\n`);
  if (cidFile) writeFileSync(cidFile, res.Id, { mode: 0o644 });
  return res.Id;
}

function parseCreate(f: ParsedFlags, mode: 'run' | 'create'): CreateRequest {
  return buildCreateRequest(f, { env: process.env, readFile: (p) => readFileSync(p, 'utf8'), cwd: process.cwd() }, mode);
}

interface AttachPlan {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys?: string;
}

/** Opens the hijacked attach stream; returns the session promise. */
async function openAttach(ctx: CliContext, id: string, plan: AttachPlan): Promise<() => Promise<SessionEnd>> {
  const conn = await ctx.client.hijack(`/containers/${encodeURIComponent(id)}/attach`, {
    query: {
      stream: true,
      stdin: plan.stdin || undefined,
      stdout: plan.stdout || undefined,
      stderr: plan.stderr || undefined,
      detachKeys: plan.detachKeys,
    },
  });
  return async () => {
    const restore = plan.tty && plan.stdin ? makeRaw(process.stdin) : () => undefined;
    try {
      return await runSession({
        conn,
        tty: plan.tty,
        stdin: plan.stdin ? process.stdin : undefined,
        stdout: process.stdout,
        stderr: process.stderr,
        detachKeys: plan.tty && plan.stdin ? parseDetachKeys(plan.detachKeys || DEFAULT_DETACH_KEYS) : undefined,
      });
    } finally {
      restore();
    }
  };
}

/** Forwards our signals to the container while attached (--sig-proxy). */
function proxySignals(ctx: CliContext, id: string): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = signals.map((sig) => {
    const h = (): void => {
      ctx.client
        .open('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal: sig } })
        .then((r) => r.resume())
        .catch(() => undefined);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => handlers.forEach(([sig, h]) => process.off(sig, h));
}

function checkTty(tty: boolean, stdin: boolean): void {
  if (tty && stdin && !process.stdin.isTTY) throw new CliError('the input device is not a TTY', 1);
}

async function runCommand(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const fail = (msg: string, code: number): CliError => commandError({ usage: '' }, 'run', msg, code);
  let req: CreateRequest;
  try {
    req = parseCreate(f, 'run');
  } catch (e) {
    throw fail((e as Error).message, 125);
  }
  const detach = f.bool('detach');
  const body = req.body;
  if (!detach) checkTty(body.Tty, body.AttachStdin);
  if (f.has('detach-keys')) {
    try {
      parseDetachKeys(f.string('detach-keys'));
    } catch (e) {
      throw fail((e as Error).message, 125);
    }
  }

  let id: string;
  try {
    id = await createContainer(ctx, req, f.bool('quiet'), f.string('cidfile'));
  } catch (e) {
    if (e instanceof JsonMessageError) throw fail(e.message, 125);
    throw fail(describeError(e), 125);
  }
  const path = `/containers/${encodeURIComponent(id)}`;

  if (detach) {
    try {
      await ctx.client.post(`${path}/start`);
    } catch (e) {
      throw fail(describeError(e), startErrorCode(describeError(e)));
    }
    ctx.print(id);
    return 0;
  }

  const plan: AttachPlan = {
    stdin: body.AttachStdin,
    stdout: body.AttachStdout,
    stderr: body.AttachStderr,
    tty: body.Tty,
    detachKeys: f.string('detach-keys') || undefined,
  };
  const attached = plan.stdin || plan.stdout || plan.stderr ? await openAttach(ctx, id, plan) : undefined;
  // Wait is registered before start so a fast exit is not missed: berthd sends the
  // wait's headers once it is registered, and start goes out only after them (as docker).
  const waitRes = ctx.client.open('POST', `${path}/wait`, { query: { condition: body.HostConfig.AutoRemove ? 'removed' : 'next-exit' } });
  await waitRes.catch(() => undefined);

  try {
    await ctx.client.post(`${path}/start`);
  } catch (e) {
    const msg = describeError(e);
    if (body.HostConfig.AutoRemove) await ctx.client.delete(path, { force: true }).catch(() => undefined);
    throw fail(msg, startErrorCode(msg));
  }
  const stopResize = plan.tty && process.stdout.isTTY ? monitorTtySize(ctx.client, `${path}/resize`) : () => undefined;
  const stopProxy = !plan.tty && f.bool('sig-proxy') ? proxySignals(ctx, id) : () => undefined;
  try {
    if (attached) {
      const end = await attached();
      if (end === 'detached') return 0;
    }
    return await exitCodeOf(waitRes);
  } finally {
    stopResize();
    stopProxy();
  }
}

async function exitCodeOf(res: Promise<import('node:http').IncomingMessage>): Promise<number> {
  const r = await res;
  let text = '';
  for await (const c of r) text += (c as Buffer).toString();
  if ((r.statusCode ?? 500) >= 400) {
    let msg = text.trim();
    try {
      msg = JSON.parse(text).message ?? msg;
    } catch {
      /* plain text */
    }
    throw new CliError(`Error response from daemon: ${msg}`, 125);
  }
  const body = JSON.parse(text) as { StatusCode: number; Error?: { Message?: string } | null };
  if (body.Error?.Message) process.stderr.write(`${body.Error.Message}\n`);
  return body.StatusCode;
}

async function createCommand(f: ParsedFlags, ctx: CliContext): Promise<number> {
  let req: CreateRequest;
  try {
    req = parseCreate(f, 'create');
  } catch (e) {
    throw commandError({ usage: '' }, 'create', (e as Error).message, 125);
  }
  try {
    ctx.print(await createContainer(ctx, req, f.bool('quiet'), f.string('cidfile')));
  } catch (e) {
    throw commandError({ usage: '' }, 'create', e instanceof JsonMessageError ? e.message : describeError(e), 125);
  }
  return 0;
}

const START_FLAGS: FlagDef[] = [
  { long: 'attach', short: 'a', kind: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
  { long: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
  { long: 'interactive', short: 'i', kind: 'bool', usage: "Attach container's STDIN" },
];

async function startCommand(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const attach = f.bool('attach') || f.bool('interactive');
  if (!attach) {
    // docker prints each failure as it happens, then names them all.
    const failed: string[] = [];
    for (const name of f.args) {
      try {
        await ctx.client.post(`/containers/${encodeURIComponent(name)}/start`);
        ctx.print(name);
      } catch (e) {
        ctx.err.write(describeError(e) + '\n');
        failed.push(name);
      }
    }
    if (failed.length) throw new CliError(`Error: failed to start containers: ${failed.join(', ')}`, 1);
    return 0;
  }
  if (f.args.length > 1) throw new CliError('you cannot start and attach multiple containers at once', 1);
  const c = await ctx.client.get(`/containers/${encodeURIComponent(f.args[0]!)}/json`);
  const path = `/containers/${encodeURIComponent(c.Id)}`;
  const tty = Boolean(c.Config.Tty);
  const stdin = f.bool('interactive') && Boolean(c.Config.OpenStdin);
  checkTty(tty, stdin);
  const session = await openAttach(ctx, c.Id, { stdin, stdout: true, stderr: true, tty, detachKeys: f.string('detach-keys') || undefined });
  const waitRes = ctx.client.open('POST', `${path}/wait`, { query: { condition: c.HostConfig?.AutoRemove ? 'removed' : 'next-exit' } });
  waitRes.catch(() => undefined);
  try {
    await ctx.client.post(`${path}/start`);
  } catch (e) {
    throw new CliError(describeError(e), 1);
  }
  const stopResize = tty && process.stdout.isTTY ? monitorTtySize(ctx.client, `${path}/resize`) : () => undefined;
  const stopProxy = !tty ? proxySignals(ctx, c.Id) : () => undefined;
  try {
    if ((await session()) === 'detached') return 0;
    return await exitCodeOf(waitRes);
  } finally {
    stopResize();
    stopProxy();
  }
}

const ATTACH_FLAGS: FlagDef[] = [
  { long: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
  { long: 'no-stdin', kind: 'bool', usage: 'Do not attach STDIN' },
  { long: 'sig-proxy', kind: 'bool', usage: 'Proxy all received signals to the process', defaultValue: true },
];

function attachCommand(f: ParsedFlags, ctx: CliContext): Promise<number> {
  return attachToContainer(ctx, f.args[0]!, {
    noStdin: f.bool('no-stdin'),
    detachKeys: f.string('detach-keys') || undefined,
    sigProxy: f.bool('sig-proxy'),
  });
}

export interface AttachOptions {
  noStdin?: boolean;
  detachKeys?: string;
  sigProxy?: boolean;
}

/** docker attach: the container's streams until it exits (its exit code) or the detach keys (also `compose attach`). */
export async function attachToContainer(ctx: CliContext, ref: string, o: AttachOptions): Promise<number> {
  const c = await ctx.client.get(`/containers/${encodeURIComponent(ref)}/json`);
  if (!c.State?.Running) throw new CliError('You cannot attach to a stopped container, start it first', 1);
  if (c.State?.Paused) throw new CliError('You cannot attach to a paused container, unpause it first', 1);
  if (c.State?.Restarting) throw new CliError('You cannot attach to a restarting container, wait until it is running', 1);
  const tty = Boolean(c.Config.Tty);
  const stdin = !o.noStdin && Boolean(c.Config.OpenStdin);
  checkTty(tty, stdin);
  const path = `/containers/${encodeURIComponent(c.Id)}`;
  const session = await openAttach(ctx, c.Id, { stdin, stdout: true, stderr: true, tty, detachKeys: o.detachKeys });
  const waitRes = ctx.client.open('POST', `${path}/wait`, { query: { condition: 'next-exit' } });
  waitRes.catch(() => undefined);
  const stopResize = tty && process.stdout.isTTY ? monitorTtySize(ctx.client, `${path}/resize`) : () => undefined;
  const stopProxy = !tty && o.sigProxy ? proxySignals(ctx, c.Id) : () => undefined;
  try {
    // docker attach reports the detach as its EscapeError: message, exit 1.
    if ((await session()) === 'detached') throw new CliError('read escape sequence', 1);
    return await exitCodeOf(waitRes);
  } finally {
    stopResize();
    stopProxy();
  }
}

export const RUN_SPECS: CommandSpec[] = [
  {
    name: 'run',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create and run a new container from an image',
    flags: RUN_FLAGS,
    interspersed: false,
    minArgs: 1,
    run: runCommand,
  },
  {
    name: 'create',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create a new container',
    flags: CREATE_FLAGS,
    interspersed: false,
    minArgs: 1,
    run: createCommand,
  },
  {
    name: 'start',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Start one or more stopped containers',
    flags: START_FLAGS,
    minArgs: 1,
    run: startCommand,
  },
  {
    name: 'attach',
    usage: '[OPTIONS] CONTAINER',
    description: "Attach local standard input, output, and error streams to a running container",
    flags: ATTACH_FLAGS,
    exactArgs: 1,
    run: attachCommand,
  },
];
