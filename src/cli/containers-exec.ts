// `logs` and `exec`: both read docker's stream format (raw for TTY
// containers, 8-byte frames otherwise); exec returns the process's exit code.
import { readFileSync } from 'node:fs';
import { CliError, type CliContext } from './context.js';
import type { FlagDef, ParsedFlags } from './containers-flags.js';
import { type CommandSpec, describeError } from './containers-command.js';
import { Demuxer, DEFAULT_DETACH_KEYS, parseDetachKeys, runSession } from './attach.js';
import { makeRaw, monitorTtySize, windowSize } from './tty.js';
import { toApiTimestamp } from './format/units.js';
import { expandEnv, parseKeyValueFile } from './containers-units.js';

const enc = encodeURIComponent;

const LOGS_FLAGS: FlagDef[] = [
  { long: 'details', kind: 'bool', usage: 'Show extra details provided to logs' },
  { long: 'follow', short: 'f', kind: 'bool', usage: 'Follow log output' },
  { long: 'since', kind: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  { long: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', defaultValue: 'all' },
  { long: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
  { long: 'until', kind: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
];

async function logs(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const name = f.args[0]!;
  const c = await ctx.client.get(`/containers/${enc(name)}/json`);
  const timestamp = (flag: 'since' | 'until'): string | undefined => {
    if (!f.string(flag)) return undefined;
    try {
      return toApiTimestamp(f.string(flag));
    } catch (e) {
      throw new CliError(`invalid value for "${flag}": ${(e as Error).message}`, 1);
    }
  };
  const since = timestamp('since');
  const until = timestamp('until');
  const res = await ctx.client.call('GET', `/containers/${enc(name)}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: f.bool('follow') || undefined,
      tail: f.string('tail'),
      since,
      until,
      timestamps: f.bool('timestamps') || undefined,
      details: f.bool('details') || undefined,
    },
  });
  const tty = Boolean(c.Config?.Tty);
  const demux = tty ? undefined : new Demuxer(ctx.out, ctx.err);
  const stop = (): void => void res.destroy();
  process.once('SIGINT', stop);
  try {
    for await (const chunk of res) {
      if (demux) demux.push(chunk as Buffer);
      else ctx.out.write(chunk as Buffer);
    }
  } catch {
    /* interrupted follow */
  } finally {
    process.off('SIGINT', stop);
  }
  return 0;
}

const EXEC_FLAGS: FlagDef[] = [
  { long: 'detach', short: 'd', kind: 'bool', usage: 'Detached mode: run command in the background' },
  { long: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
  { long: 'env', short: 'e', kind: 'list', usage: 'Set environment variables' },
  { long: 'env-file', kind: 'list', usage: 'Read in a file of environment variables' },
  { long: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even if not attached' },
  { long: 'privileged', kind: 'bool', usage: 'Give extended privileges to the command' },
  { long: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
  { long: 'user', short: 'u', kind: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
  { long: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
];

/** The exec create body, as the docker CLI builds it. */
export function buildExecBody(f: ParsedFlags, env: Record<string, string | undefined>, readFile: (p: string) => string): Record<string, unknown> {
  const [, ...cmd] = f.args;
  const detach = f.bool('detach');
  const envs: string[] = [];
  for (const file of f.list('env-file')) {
    let content: string;
    try {
      content = readFile(file);
    } catch {
      throw new Error(`open ${file}: no such file or directory`);
    }
    envs.push(...parseKeyValueFile(file, content, (k) => env[k]));
  }
  envs.push(...f.list('env').map((e) => expandEnv(e, env)));
  const body: Record<string, unknown> = {
    User: f.string('user'),
    Privileged: f.bool('privileged'),
    Tty: f.bool('tty'),
    AttachStdin: f.bool('interactive') && !detach,
    AttachStderr: !detach,
    AttachStdout: !detach,
    Detach: detach,
    DetachKeys: f.string('detach-keys'),
    Env: envs.length ? envs : null,
    WorkingDir: f.string('workdir'),
    Cmd: cmd,
  };
  return body;
}

async function exec(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const name = f.args[0]!;
  let body: Record<string, unknown>;
  try {
    body = buildExecBody(f, process.env, (p) => readFileSync(p, 'utf8'));
  } catch (e) {
    throw new CliError(`berth: ${(e as Error).message}\n\nRun 'berth exec --help' for more information`, 125);
  }
  const tty = body.Tty as boolean;
  const stdin = body.AttachStdin as boolean;
  if (tty && stdin && !process.stdin.isTTY && !f.bool('detach')) throw new CliError('the input device is not a TTY', 1);
  const size = tty ? windowSize(process.stdout) : undefined;
  if (size) body.ConsoleSize = [size.h, size.w];
  const created = await ctx.client.post<{ Id: string }>(`/containers/${enc(name)}/exec`, body);
  const execPath = `/exec/${enc(created.Id)}`;
  if (f.bool('detach')) {
    await ctx.client.post(`${execPath}/start`, { Detach: true, Tty: tty, ConsoleSize: body.ConsoleSize });
    return 0;
  }
  const conn = await ctx.client.hijack(`${execPath}/start`, { body: { Detach: false, Tty: tty, ConsoleSize: body.ConsoleSize } });
  const restore = tty && stdin ? makeRaw(process.stdin) : () => undefined;
  const stopResize = tty && process.stdout.isTTY ? monitorTtySize(ctx.client, `${execPath}/resize`) : () => undefined;
  try {
    const end = await runSession({
      conn,
      tty,
      stdin: stdin ? process.stdin : undefined,
      stdout: ctx.out,
      stderr: ctx.err,
      detachKeys: tty && stdin ? parseDetachKeys(f.string('detach-keys') || DEFAULT_DETACH_KEYS) : undefined,
    });
    if (end === 'detached') return 0;
  } finally {
    restore();
    stopResize();
  }
  try {
    const info = await ctx.client.get<{ ExitCode: number | null; Running: boolean }>(`${execPath}/json`);
    return info.ExitCode ?? 0;
  } catch (e) {
    throw new CliError(describeError(e), 1);
  }
}

export const EXEC_SPECS: CommandSpec[] = [
  { name: 'logs', usage: '[OPTIONS] CONTAINER', description: 'Fetch the logs of a container', flags: LOGS_FLAGS, exactArgs: 1, run: logs },
  {
    name: 'exec',
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    flags: EXEC_FLAGS,
    interspersed: false,
    minArgs: 2,
    run: exec,
  },
];
