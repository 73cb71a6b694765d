// `up` and `create`: converge the project; `up` without -d then follows the
// containers' output until they exit or Ctrl-C stops them.
import { Option, type Command } from 'commander';
import { ComposeError } from '../model.js';
import { run, type ComposeContext } from '../cli.js';
import { converge, type UpOptions } from '../converge.js';
import type { PullPolicy } from '../converge-images.js';
import { attachAndWait } from './up-attached.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function parseScale(list: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list) {
    const [svc, n] = item.split('=');
    if (!svc || n === undefined || !/^\d+$/.test(n))
      throw new ComposeError(`invalid scale value ${JSON.stringify(item)}`);
    out[svc] = Number(n);
  }
  return out;
}

function pullPolicy(v: string | undefined): PullPolicy | undefined {
  if (v === undefined) return undefined;
  if (!['always', 'missing', 'never', 'build'].includes(v))
    throw new ComposeError(`invalid --pull option ${JSON.stringify(v)}`);
  return v as PullPolicy;
}

interface UpFlags {
  detach?: boolean;
  build?: boolean;
  noBuild?: boolean;
  pull?: string;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  deps?: boolean;
  scale: string[];
  noAttach: string[];
  removeOrphans?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  timeout?: string;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  attach: string[];
  logPrefix?: boolean;
  color?: boolean;
  timestamps?: boolean;
  quietPull?: boolean;
  start?: boolean;
  attachDependencies?: boolean;
}

function upOptions(f: UpFlags, services: string[], start: boolean): UpOptions {
  if (f.forceRecreate && f.noRecreate)
    throw new ComposeError('--force-recreate and --no-recreate are incompatible');
  if (f.build && f.noBuild) throw new ComposeError('--build and --no-build are incompatible');
  return {
    services,
    noDeps: f.deps === false,
    forceRecreate: f.forceRecreate,
    noRecreate: f.noRecreate,
    scale: parseScale(f.scale ?? []),
    removeOrphans: f.removeOrphans || process.env.COMPOSE_REMOVE_ORPHANS === 'true',
    build: f.build,
    noBuild: f.noBuild,
    pull: pullPolicy(f.pull),
    start,
    timeout: f.timeout !== undefined ? Number(f.timeout) : undefined,
    wait: f.wait,
    waitTimeout: f.waitTimeout !== undefined ? Number(f.waitTimeout) : undefined,
  };
}

/** `--no-attach <service>` is a list of services, not commander's negation of `--attach`. */
function noAttachOption(): Option {
  const o = new Option('--no-attach <service>', 'Do not attach (stream logs) to the specified services')
    .argParser(collect)
    .default([]);
  o.negate = false;
  o.attributeName = () => 'noAttach';
  return o;
}

export function registerUpCommands(compose: Command, cc: ComposeContext): void {
  compose
    .command('up')
    .description('Create and start containers')
    .argument('[service...]')
    .option('-d, --detach', 'Detached mode: Run containers in the background')
    .option('--build', 'Build images before starting containers')
    .option('--no-build', "Don't build an image, even if it's policy")
    .option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never")')
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--no-deps', "Don't start linked services")
    .option('--scale <service=num>', 'Scale SERVICE to NUM instances', collect, [])
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--wait', 'Wait for services to be running|healthy. Implies detached mode.')
    .option(
      '--wait-timeout <seconds>',
      'Maximum duration in seconds to wait for the project to be running|healthy',
    )
    .option('-t, --timeout <seconds>', 'Use this timeout in seconds for container shutdown')
    .option('--abort-on-container-exit', 'Stops all containers if any container was stopped')
    .option('--exit-code-from <service>', 'Return the exit code of the selected service container')
    .option('--attach <service>', 'Restrict attaching to the specified services', collect, [])
    .addOption(noAttachOption())
    .option('--attach-dependencies', 'Automatically attach to log output of dependent services')
    .option('--no-log-prefix', "Don't print prefix in logs")
    .option('--no-color', 'Produce monochrome output')
    .option('--timestamps', 'Show timestamps')
    .option('--quiet-pull', 'Pull without printing progress information')
    .option('--no-start', "Don't start the services after creating them")
    .action(
      run(async (services: string[], f: UpFlags) => {
        if (f.detach && f.abortOnContainerExit)
          throw new ComposeError('--abort-on-container-exit and --detach are incompatible');
        if (f.exitCodeFrom) f.abortOnContainerExit = true;
        const project = await cc.project({ services });
        if (f.exitCodeFrom && !project.services[f.exitCodeFrom])
          throw new ComposeError(`no such service: ${f.exitCodeFrom}`);
        const start = f.start !== false;
        const progress = cc.progress();
        let replicas;
        try {
          replicas = await converge(cc.client, project, upOptions(f, services, start), progress);
        } finally {
          progress.stop();
        }
        if (f.detach || f.wait || !start) return 0;
        return attachAndWait(cc, project, replicas, {
          services,
          attach: f.attach,
          noAttach: f.noAttach,
          attachDependencies: f.attachDependencies,
          prefix: f.logPrefix !== false,
          noColor: f.color === false,
          timestamps: f.timestamps,
          abortOnExit: Boolean(f.abortOnContainerExit),
          exitCodeFrom: f.exitCodeFrom,
          timeout: f.timeout !== undefined ? Number(f.timeout) : undefined,
        });
      }),
    );

  compose
    .command('scale')
    .description('Scale services')
    .argument('<service=replicas...>')
    .option('--no-deps', "Don't start linked services")
    .action(
      run(async (specs: string[], f: { deps?: boolean }) => {
        const scale = parseScale(specs);
        const services = Object.keys(scale);
        const project = await cc.project({ services });
        const progress = cc.progress();
        try {
          await converge(
            cc.client,
            project,
            upOptions({ scale: specs, attach: [], noAttach: [], deps: f.deps, noRecreate: true }, services, true),
            progress,
          );
        } finally {
          progress.stop();
        }
      }),
    );

  compose
    .command('create')
    .description('Creates containers for a service')
    .argument('[service...]')
    .option('--build', 'Build images before starting containers')
    .option('--no-build', "Don't build an image, even if it's policy")
    .option('--pull <policy>', 'Pull image before running ("always"|"missing"|"never"|"build")')
    .option('--force-recreate', "Recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "If containers already exist, don't recreate them")
    .option('--scale <service=num>', 'Scale SERVICE to NUM instances', collect, [])
    .option('--remove-orphans', 'Remove containers for services not defined in the Compose file')
    .option('--quiet-pull', 'Pull without printing progress information')
    .action(
      run(async (services: string[], f: UpFlags) => {
        const project = await cc.project({ services });
        const progress = cc.progress();
        try {
          await converge(cc.client, project, upOptions(f, services, false), progress);
        } finally {
          progress.stop();
        }
      }),
    );
}
