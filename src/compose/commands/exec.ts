// `exec` (a command in a service's running container) and `run` (a one-off
// container `<project>-<service>-run-<id12>`, dependencies started first).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Command } from 'commander';
import { ComposeError, type Service } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import { isOneoff, listContainers, numberOf, serviceOf } from '../converge-containers.js';
import { converge, createContainer } from '../converge.js';
import { createBody } from '../converge-spec.js';
import { ensureResources } from '../converge-resources.js';
import { ensureImages } from '../converge-images.js';
import { L } from '../labels.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys, runSession } from '../../cli/attach.js';
import { makeRaw, monitorTtySize, windowSize } from '../../cli/tty.js';
import { parsePortSpec } from '../../cli/containers-units.js';
import { splitShellWords } from '../shellwords.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** `-e KEY` takes KEY from our environment; `-e KEY=v` as given. */
function envList(list: string[]): string[] {
  return list.flatMap((e) =>
    e.includes('=') ? [e] : process.env[e] !== undefined ? [`${e}=${process.env[e]}`] : [],
  );
}

interface ExecFlags {
  detach?: boolean;
  tty?: boolean;
  interactive?: boolean;
  user?: string;
  workdir?: string;
  env: string[];
  index: string;
  privileged?: boolean;
}

/** Runs a hijacked session for exec or attach; returns 'detached' or 'output-closed'. */
async function session(
  cc: ComposeContext,
  path: string,
  body: unknown,
  tty: boolean,
  stdin: boolean,
  resizePath: string,
) {
  const conn = await cc.client.hijack(path, body === undefined ? {} : { body });
  const restore = tty && stdin ? makeRaw(process.stdin) : () => undefined;
  const stopResize = tty && process.stdout.isTTY ? monitorTtySize(cc.client, resizePath) : () => undefined;
  try {
    return await runSession({
      conn,
      tty,
      stdin: stdin ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      detachKeys: tty && stdin ? parseDetachKeys(DEFAULT_DETACH_KEYS) : undefined,
    });
  } finally {
    restore();
    stopResize();
  }
}

export function registerExecCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('exec')
    .description('Execute a command in a running container')
    .argument('<service>')
    .argument('<command...>')
    .option('-d, --detach', 'Detached mode: Run command in the background')
    .option(
      '-T, --no-tty',
      'Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.',
    )
    .option('-i, --interactive', 'Keep STDIN open even if not attached', true)
    .option('-u, --user <user>', 'Run the command as this user')
    .option('-w, --workdir <dir>', 'Path to workdir directory for this command')
    .option('-e, --env <env>', 'Set environment variables', collect, [])
    .option('--index <n>', 'Index of the container if service has multiple replicas', '1')
    .option('--privileged', 'Give extended privileges to the process')
    .passThroughOptions()
    .action(
      run(async (service: string, cmd: string[], f: ExecFlags) => {
        const project = await cc.project({ optional: true });
        const list = (await listContainers(cc.client, project.name)).filter(
          (c) => !isOneoff(c) && serviceOf(c) === service && numberOf(c) === Number(f.index),
        );
        const c = list.find((x) => x.State === 'running');
        if (!c) {
          if (!list.length && f.index !== '1')
            throw new ComposeError(`service "${service}" is not running container #${f.index}`);
          throw new ComposeError(`service "${service}" is not running`);
        }
        const tty = f.tty !== false && Boolean(process.stdin.isTTY);
        const stdin = f.interactive !== false && !f.detach;
        const size = tty ? windowSize(process.stdout) : undefined;
        const body = {
          User: f.user,
          Privileged: Boolean(f.privileged),
          Tty: tty,
          AttachStdin: stdin,
          AttachStdout: !f.detach,
          AttachStderr: !f.detach,
          Detach: Boolean(f.detach),
          Env: envList(f.env),
          WorkingDir: f.workdir,
          Cmd: cmd,
          ConsoleSize: size ? [size.h, size.w] : undefined,
        };
        const created = await cc.client.post<{ Id: string }>(`/containers/${c.Id}/exec`, body);
        const execPath = `/exec/${created.Id}`;
        if (f.detach) {
          await cc.client.post(`${execPath}/start`, { Detach: true, Tty: tty });
          return 0;
        }
        await session(
          cc,
          `${execPath}/start`,
          { Detach: false, Tty: tty, ConsoleSize: body.ConsoleSize },
          tty,
          stdin,
          `${execPath}/resize`,
        );
        const info = await cc.client.get<{ ExitCode: number | null }>(`${execPath}/json`);
        return info.ExitCode ?? 0;
      }),
    );

  compose
    .command('run')
    .description('Run a one-off command on a service')
    .argument('<service>')
    .argument('[command...]')
    .option('-d, --detach', 'Run container in background and print container ID')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('--name <name>', 'Assign a name to the container')
    .option('-e, --env <env>', 'Set environment variables', collect, [])
    .option('-l, --label <label>', 'Add or override a label', collect, [])
    .option('-u, --user <user>', 'Run as specified username or uid')
    .option('-w, --workdir <dir>', 'Working directory inside the container')
    .option('-v, --volume <volume>', 'Bind mount a volume', collect, [])
    .option('-p, --publish <port>', "Publish a container's port(s) to the host", collect, [])
    .option('--entrypoint <cmd>', 'Override the entrypoint of the image')
    .option('--service-ports', "Run command with all service's ports enabled and mapped to the host")
    .option('--no-deps', "Don't start linked services")
    .option('-T, --no-TTY', 'Disable pseudo-TTY allocation (default: auto-detected)')
    .option('-i, --interactive', 'Keep STDIN open even if not attached', true)
    .option('--build', 'Build image before starting container')
    .option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")')
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--quiet-pull', 'Pull without printing progress information')
    .passThroughOptions()
    .action(run(async (service: string, cmd: string[], f: RunFlags) => runOneOff(cc, service, cmd, f)));
}

interface RunFlags {
  detach?: boolean;
  rm?: boolean;
  name?: string;
  env: string[];
  label: string[];
  user?: string;
  workdir?: string;
  volume: string[];
  publish: string[];
  entrypoint?: string;
  servicePorts?: boolean;
  deps?: boolean;
  TTY?: boolean;
  interactive?: boolean;
  build?: boolean;
  pull?: string;
}

async function runOneOff(
  cc: ComposeContext,
  serviceName: string,
  cmd: string[],
  f: RunFlags,
): Promise<number> {
  const project = await cc.project({ services: [serviceName] });
  const base = project.services[serviceName] ?? project.disabled_services?.[serviceName];
  if (!base) throw new ComposeError(`no such service: ${serviceName}`);
  if (!project.services[serviceName]) project.services[serviceName] = base;
  const progress = cc.progress();
  const deps = Object.keys(base.depends_on ?? {}).filter((d) => project.services[d]);
  let images: Map<string, string>;
  try {
    if (f.deps !== false && deps.length)
      await converge(cc.client, project, { services: deps, start: true, noRecreate: false }, progress);
    await ensureResources(cc.client, project, [serviceName], progress);
    images = await ensureImages(
      cc.client,
      project,
      [serviceName],
      { build: f.build, pull: f.pull as 'always' | 'missing' | 'never' | undefined },
      progress,
    );
  } finally {
    progress.stop();
  }

  const tty = f.TTY !== false && Boolean(process.stdin.isTTY) && (base.tty ?? true);
  const stdin = f.interactive !== false && !f.detach;
  const s: Service = {
    ...base,
    ports: f.servicePorts ? base.ports : [],
    restart: undefined,
    tty,
    stdin_open: stdin || base.stdin_open,
    environment: {
      ...base.environment,
      ...Object.fromEntries(
        envList(f.env).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
      ),
    },
    user: f.user ?? base.user,
    working_dir: f.workdir ?? base.working_dir,
    container_name: undefined,
  };
  if (cmd.length) s.command = cmd;
  if (f.entrypoint !== undefined) s.entrypoint = f.entrypoint === '' ? [''] : splitShellWords(f.entrypoint);
  const slug = randomBytes(32).toString('hex');
  const name = f.name ?? `${project.name}-${serviceName}-run-${slug.slice(0, 12)}`;
  const labels = Object.fromEntries(f.label.map((l) => [l.split('=')[0], l.split('=').slice(1).join('=')]));
  labels['com.docker.compose.slug'] = slug;
  const spec = createBody({
    project,
    service: s,
    number: 1,
    name,
    imageId: images.get(serviceName),
    oneoff: true,
    extraLabels: labels,
  });
  spec.body.AttachStdin = stdin;
  spec.body.StdinOnce = stdin;
  for (const v of f.volume) {
    const [src, ...rest] = v.split(':');
    const hostSide =
      src.startsWith('.') || src.startsWith('/') ? path.resolve(project.working_dir, src) : src;
    (spec.body.HostConfig.Binds ??= []).push([hostSide, ...rest].join(':'));
  }
  for (const p of f.publish)
    for (const [key, binding] of parsePortSpec(p)) {
      (spec.body.ExposedPorts ??= {})[key] = {};
      ((spec.body.HostConfig.PortBindings ??= {})[key] ??= []).push(binding);
    }
  spec.body.Labels[L.oneoff] = 'True';
  const id = await createContainer(cc.client, spec, progress, false);
  const cpath = `/containers/${id}`;
  if (f.detach) {
    await cc.client.post(`${cpath}/start`);
    process.stdout.write(name + '\n');
    return 0;
  }
  const conn = cc.client.hijack(`${cpath}/attach`, {
    query: { stream: true, stdin: stdin || undefined, stdout: true, stderr: true },
  });
  const wait = cc.client.post<{ StatusCode: number }>(`${cpath}/wait`, undefined, { condition: 'next-exit' });
  wait.catch(() => undefined);
  const attached = await conn;
  await cc.client.post(`${cpath}/start`);
  const restore = tty && stdin ? makeRaw(process.stdin) : () => undefined;
  const stopResize =
    tty && process.stdout.isTTY ? monitorTtySize(cc.client, `${cpath}/resize`) : () => undefined;
  let code = 0;
  try {
    const end = await runSession({
      conn: attached,
      tty,
      stdin: stdin ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      detachKeys: tty && stdin ? parseDetachKeys(DEFAULT_DETACH_KEYS) : undefined,
    });
    if (end !== 'detached') code = (await wait).StatusCode;
  } finally {
    restore();
    stopResize();
    if (f.rm) await cc.client.delete(cpath, { force: true, v: true }).catch(() => undefined);
  }
  return code;
}
