// `berth build` (also `image build`, `builder build`): the docker CLI's
// legacy-builder command. Flags become the POST /build query the docker
// client sends, the context tar is made by build/context.ts, and the JSON
// stream is rendered by build-output.ts.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
import { ContextError, prepareContext } from '../build/context.js';
import { parseReference } from '../image/reference.js';
import { CliError, type CliContext } from './context.js';
import { flag, registerSpecs, type Spec } from './command-spec.js';
import type { Command } from 'commander';
import type { ParsedFlags } from './containers-flags.js';
import { parseInt64, parseUlimit, ramInBytes, memSwapBytes, validateExtraHost } from './containers-units.js';
import { configPath, CredentialStore } from './registry-credentials.js';
import { renderBuildStream } from './build-output.js';
import { builderPruneSpecs } from './build-prune.js';
import { humanSize } from './format/units.js';

const int = (long: string, short: string | undefined, usage: string): ReturnType<typeof flag.string> => ({
  ...flag.string(long, short, usage, 'int'),
  check: (v) => void parseInt64(v),
});
const bytes = (long: string, short: string | undefined, usage: string): ReturnType<typeof flag.string> => ({
  ...flag.string(long, short, usage, 'bytes'),
  check: (v) => void ramInBytes(v),
});

const FLAGS = [
  {
    ...flag.list('add-host', undefined, 'Add a custom host-to-IP mapping ("host:ip")'),
    check: (v: string) => void validateExtraHost(v),
  },
  flag.list('build-arg', undefined, 'Set build-time variables'),
  flag.list('cache-from', undefined, 'Images to consider as cache sources', 'strings'),
  flag.string('cgroup-parent', undefined, 'Set the parent cgroup for the "RUN" instructions during build'),
  flag.bool('compress', undefined, 'Compress the build context using gzip'),
  int('cpu-period', undefined, 'Limit the CPU CFS (Completely Fair Scheduler) period'),
  int('cpu-quota', undefined, 'Limit the CPU CFS (Completely Fair Scheduler) quota'),
  int('cpu-shares', 'c', 'CPU shares (relative weight)'),
  flag.string('cpuset-cpus', undefined, 'CPUs in which to allow execution (0-3, 0,1)'),
  flag.string('cpuset-mems', undefined, 'MEMs in which to allow execution (0-3, 0,1)'),
  flag.bool('disable-content-trust', undefined, 'Skip image verification', true),
  flag.string('file', 'f', 'Name of the Dockerfile (Default is "PATH/Dockerfile")'),
  flag.bool('force-rm', undefined, 'Always remove intermediate containers'),
  flag.string('iidfile', undefined, 'Write the image ID to the file'),
  flag.string('isolation', undefined, 'Container isolation technology'),
  flag.list('label', undefined, 'Set metadata for an image'),
  bytes('memory', 'm', 'Memory limit'),
  {
    ...flag.string(
      'memory-swap',
      undefined,
      'Swap limit equal to memory plus swap: -1 to enable unlimited swap',
      'bytes',
    ),
    check: (v: string) => void memSwapBytes(v),
  },
  flag.string(
    'network',
    undefined,
    'Set the networking mode for the RUN instructions during build',
    'string',
    'default',
  ),
  flag.bool('no-cache', undefined, 'Do not use cache when building the image'),
  flag.string('platform', undefined, 'Set platform if server is multi-platform capable'),
  flag.string('progress', undefined, 'Set type of progress output (auto, plain, tty)', 'string', 'auto'),
  flag.bool('pull', undefined, 'Always attempt to pull a newer version of the image'),
  flag.bool('quiet', 'q', 'Suppress the build output and print image ID on success'),
  flag.bool('rm', undefined, 'Remove intermediate containers after a successful build', true),
  flag.list('security-opt', undefined, 'Security options', 'strings'),
  bytes('shm-size', undefined, 'Size of "/dev/shm"'),
  flag.bool('squash', undefined, 'Squash newly built layers into a single new layer'),
  { ...flag.list('tag', 't', 'Name and optionally a tag in the "name:tag" format'), check: checkTag },
  flag.string('target', undefined, 'Set the target build stage to build.'),
  {
    ...flag.list('ulimit', undefined, 'Ulimit options', 'ulimit'),
    check: (v: string) => void parseUlimit(v),
  },
];

function checkTag(v: string): void {
  try {
    parseReference(v);
  } catch {
    throw new Error('invalid reference format');
  }
}

/** `--build-arg KEY` takes KEY's value from the environment, or stays null (opts.ValidateEnv). */
export function buildArgsMap(items: string[], env = process.env): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq === 0)
      throw new CliError(
        `invalid argument "${item}" for "--build-arg" flag: invalid environment variable: ${item}`,
        125,
      );
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else out[item] = env[item] ?? null;
  }
  return out;
}

function labelsMap(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** The query the docker client (v28) builds from ImageBuildOptions: only what differs from the defaults. */
export function buildQuery(
  f: ParsedFlags,
  dockerfile: string | undefined,
  remote: string | undefined,
): Record<string, any> {
  const str = (name: string): string | undefined => f.string(name) || undefined;
  const num = (name: string, parse: (s: string) => number): string | undefined => {
    const n = f.string(name) ? parse(f.string(name)) : 0;
    return n ? String(n) : undefined;
  };
  const json = (v: object): string | undefined => (Object.keys(v).length ? JSON.stringify(v) : undefined);
  const network = f.string('network');
  return {
    t: f.list('tag'),
    securityopt: f.list('security-opt'),
    extrahosts: f.list('add-host'),
    q: f.bool('quiet') ? '1' : undefined,
    remote,
    nocache: f.bool('no-cache') ? '1' : undefined,
    rm: f.bool('rm') ? undefined : '0',
    forcerm: f.bool('force-rm') ? '1' : undefined,
    pull: f.bool('pull') ? '1' : undefined,
    squash: f.bool('squash') ? '1' : undefined,
    isolation: f.string('isolation').toLowerCase() === 'default' ? undefined : str('isolation'),
    cpusetcpus: str('cpuset-cpus'),
    networkmode: network && network !== 'default' ? network : undefined,
    cpusetmems: str('cpuset-mems'),
    cpushares: num('cpu-shares', parseInt64),
    cpuquota: num('cpu-quota', parseInt64),
    cpuperiod: num('cpu-period', parseInt64),
    memory: num('memory', ramInBytes),
    memswap: num('memory-swap', memSwapBytes),
    cgroupparent: str('cgroup-parent'),
    shmsize: num('shm-size', ramInBytes),
    dockerfile: dockerfile || undefined,
    target: str('target'),
    ulimits: json(f.list('ulimit').map(parseUlimit)),
    buildargs: json(buildArgsMap(f.list('build-arg'))),
    labels: json(labelsMap(f.list('label'))),
    cachefrom: json(f.list('cache-from')),
    platform: f.string('platform') ? f.string('platform').toLowerCase() : undefined,
    version: '1',
  };
}

/** X-Registry-Config: every stored credential, keyed by registry, as the docker CLI sends it for builds. */
function registryConfigHeader(): string {
  const all: Record<string, unknown> = {};
  try {
    const cfg = JSON.parse(readFileSync(configPath(), 'utf8')) as { auths?: Record<string, unknown> };
    const store = new CredentialStore();
    for (const key of Object.keys(cfg.auths ?? {})) {
      const a = store.get(key.replace(/^https?:\/\//, '').replace(/\/v1\/?$/, ''));
      if (a) all[key] = a;
    }
  } catch {
    // no config file, or unreadable: anonymous
  }
  return Buffer.from(JSON.stringify(all)).toString('base64url');
}

/** Counts the bytes of the context as they go out, for "Sending build context to Docker daemon". */
function counted(
  body: Readable,
  onEnd: (total: number) => void,
  onProgress?: (total: number) => void,
): Readable {
  let total = 0;
  let lastShown = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      if (onProgress && total - lastShown > 512 * 1024) {
        lastShown = total;
        onProgress(total);
      }
      cb(null, chunk);
    },
    flush(cb) {
      onEnd(total);
      cb();
    },
  });
  body.on('error', (e) => t.destroy(e));
  return body.pipe(t);
}

async function runBuild(f: ParsedFlags, ctx: CliContext): Promise<number> {
  const quiet = f.bool('quiet');
  const progressMode = f.string('progress');
  if (!['auto', 'plain', 'tty'].includes(progressMode))
    throw new CliError(
      `invalid argument "${progressMode}" for "--progress" flag: must be auto, plain or tty`,
      125,
    );
  const iidfile = f.string('iidfile');
  if (iidfile) rmSync(iidfile, { force: true }); // no stale ID if this build fails
  let prepared;
  try {
    prepared = await prepareContext({
      context: f.args[0]!,
      dockerfile: f.string('file') || undefined,
      stdin: process.stdin,
    });
  } catch (e) {
    if (e instanceof ContextError) throw new CliError(e.message, 1);
    throw e;
  }
  // -q keeps everything in buffers, shown on stderr only if the build fails.
  let progBuf = '';
  let buildBuf = '';
  const progOut = (s: string): void => {
    if (quiet) progBuf += s;
    else ctx.out.write(s);
  };
  const sending = (n: number): string =>
    `Sending build context to Docker daemon ${humanSize(n, 4).padStart(8)}\r`;
  let uploaded: Promise<void> = Promise.resolve();
  let body = prepared.body;
  let writeBody: ((req: Writable) => Promise<void>) | undefined;
  const tty = ctx.stdoutIsTTY && !quiet;
  if (prepared.write) {
    // A directory context writes itself (reusing its buffers); the progress line is the same.
    const write = prepared.write;
    let lastShown = 0;
    const progress = tty
      ? (n: number): void => {
          if (n - lastShown > 512 * 1024) {
            lastShown = n;
            progOut(sending(n));
          }
        }
      : undefined;
    let done!: () => void;
    uploaded = new Promise((r) => (done = r));
    writeBody = async (req) => {
      try {
        progOut(sending(await write(req, progress)) + '\r\n');
      } finally {
        done(); // an upload cut short by an early answer: that answer tells what happened
      }
    };
    body = undefined;
  } else if (body) {
    let done!: () => void;
    uploaded = new Promise((r) => (done = r));
    body = counted(
      body,
      (n) => {
        progOut(sending(n) + '\r\n');
        done();
      },
      tty ? (n) => progOut(sending(n)) : undefined,
    );
  }
  const res = await ctx.client.call('POST', '/build', {
    query: buildQuery(f, prepared.dockerfile, prepared.remote),
    headers: { 'Content-Type': 'application/x-tar', 'X-Registry-Config': registryConfigHeader() },
    stream: body,
    writeBody,
  });
  await uploaded;
  let imageId = '';
  const view =
    !quiet && (progressMode === 'tty' || (progressMode === 'auto' && ctx.stdoutIsTTY)) ? 'tty' : 'plain';
  const out = quiet ? { write: (s: string) => ((buildBuf += s), true) } : ctx.out;
  const failure = await renderBuildStream(res, out as NodeJS.WritableStream, {
    view,
    isTerminal: ctx.stdoutIsTTY,
    onImageId: (id) => (imageId = id),
  });
  if (failure) {
    if (quiet) ctx.err.write(progBuf + buildBuf);
    throw new CliError(failure.message, failure.code || 1);
  }
  if (quiet) {
    imageId = buildBuf;
    ctx.out.write(imageId);
  }
  if (iidfile) {
    if (!imageId) throw new CliError(`Server did not provide an image ID. Cannot write ${iidfile}`, 1);
    writeFileSync(iidfile, imageId, { mode: 0o666 });
  }
  return 0;
}

export const buildSpecs: Spec[] = [
  {
    paths: [['build'], ['image', 'build'], ['builder', 'build']],
    usage: '[OPTIONS] PATH | URL | -',
    description: 'Build an image from a Dockerfile',
    flags: FLAGS,
    args: { exact: 1 },
    run: (f, ctx) => runBuild(f, ctx),
  },
];

export function registerBuildCommands(program: Command, ctx: CliContext): void {
  registerSpecs(program, ctx, [...buildSpecs, ...builderPruneSpecs]);
}
