// Images for services: inspect, pull what is missing (or always), build
// services with `build:` through the legacy `POST /build` API.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ApiError, eachJsonLine, type Client } from '../client/client.js';
import { ComposeError, type Project, type Service } from './model.js';
import { serviceImage } from './converge-spec.js';
import type { Progress } from './progress.js';

const enc = encodeURIComponent;

export type PullPolicy = 'always' | 'missing' | 'never' | 'build';

export interface ImageOptions {
  /** --pull (overrides each service's pull_policy). */
  pull?: PullPolicy;
  /** --build: build before creating. */
  build?: boolean;
  /** --no-build: never build, even when the image is missing. */
  noBuild?: boolean;
  quiet?: boolean;
}

export async function imageId(client: Client, ref: string): Promise<string | undefined> {
  try {
    return ((await client.get(`/images/${enc(ref)}/json`)) as { Id: string }).Id;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** `name:tag` split the way the docker CLI sends fromImage/tag. */
function splitRef(ref: string): { from: string; tag?: string } {
  if (ref.includes('@')) return { from: ref };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { from: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { from: ref, tag: 'latest' };
}

/** Pulls one service's image, reporting `<service> Pulling` / `Pulled`. */
export async function pullImage(client: Client, s: Service, ref: string, progress: Progress): Promise<void> {
  const { from, tag } = splitRef(ref);
  progress.event(s.name, 'Pulling');
  try {
    const res = await client.call('POST', '/images/create', { query: { fromImage: from, tag } });
    let error: string | undefined;
    await eachJsonLine(res, (m: { error?: string; errorDetail?: { message?: string } }) => {
      if (m.error) error = m.errorDetail?.message ?? m.error;
    });
    if (error) throw new ApiError(500, error);
  } catch (e) {
    progress.event(s.name, 'Error', { error: true });
    throw e;
  }
  progress.event(s.name, 'Pulled');
}

/** Builds a service's image from its context with `POST /build`. */
export async function buildImage(
  client: Client,
  project: Project,
  s: Service,
  opts: {
    noCache?: boolean;
    pull?: boolean;
    args?: Record<string, string>;
    quiet?: boolean;
    out?: NodeJS.WritableStream;
  },
  progress: Progress,
): Promise<string> {
  const b = s.build!;
  const tag = serviceImage(project, s);
  const context = path.resolve(project.working_dir, b.context ?? '.');
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args ?? {})) {
    const value = v ?? project.environment[k] ?? process.env[k];
    if (value !== undefined) args[k] = value;
  }
  Object.assign(args, opts.args ?? {});
  const id = `Service ${s.name}`;
  progress.event(id, 'Building');
  // The context goes up as a tar made by GNU tar (fast, keeps modes and owners).
  const tar = spawn('tar', ['-C', context, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tarErr = '';
  tar.stderr.on('data', (d: Buffer) => (tarErr += d.toString()));
  let imageIdOut = '';
  let error: string | undefined;
  try {
    const res = await client.call('POST', '/build', {
      stream: tar.stdout,
      headers: { 'Content-Type': 'application/x-tar' },
      query: {
        t: tag,
        dockerfile: b.dockerfile ?? 'Dockerfile',
        buildargs: JSON.stringify(args),
        labels: JSON.stringify(b.labels ?? {}),
        target: b.target,
        nocache: opts.noCache || undefined,
        pull: opts.pull || undefined,
        q: opts.quiet || undefined,
        rm: true,
      },
    });
    await eachJsonLine(
      res,
      (m: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } }) => {
        if (m.error) error = m.errorDetail?.message ?? m.error;
        if (m.aux?.ID) imageIdOut = m.aux.ID;
        if (m.stream && opts.out && !opts.quiet) opts.out.write(m.stream);
      },
    );
  } catch (e) {
    progress.event(id, 'Error', { error: true });
    throw e;
  }
  if (error || tarErr) {
    progress.event(id, 'Error', { error: true });
    throw new ComposeError(`failed to solve: ${error ?? tarErr.trim()}`, 17);
  }
  progress.event(id, 'Built');
  return imageIdOut || ((await imageId(client, tag)) ?? '');
}

/** Makes sure every service's image is present; returns service → image ID. */
export async function ensureImages(
  client: Client,
  project: Project,
  names: string[],
  opts: ImageOptions,
  progress: Progress,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const toBuild: Service[] = [];
  // Services often share an image: one inspect per reference.
  const inspected = new Map<string, Promise<string | undefined>>();
  const lookup = (ref: string): Promise<string | undefined> => {
    let p = inspected.get(ref);
    if (!p) inspected.set(ref, (p = imageId(client, ref)));
    return p;
  };
  const pulled = new Map<string, Promise<string | undefined>>();
  await Promise.all(
    names.map(async (name) => {
      const s = project.services[name];
      const ref = serviceImage(project, s);
      const policy = (opts.pull ?? s.pull_policy ?? 'missing') as string;
      if (s.build && !opts.noBuild && (opts.build || policy === 'build')) return void toBuild.push(s);
      let id = policy === 'always' || policy === 'daily' ? undefined : await lookup(ref);
      if (!id && s.image && policy === 'never' && !s.build)
        throw new ComposeError(`Error response from daemon: No such image: ${ref}`, 18);
      if (!id && s.image && policy !== 'never') {
        // One pull per reference, whichever service asks first.
        let pull = pulled.get(ref);
        if (!pull)
          pulled.set(ref, (pull = pullImage(client, s, ref, progress).then(() => imageId(client, ref))));
        try {
          id = await pull;
        } catch (e) {
          if (!s.build) throw e;
        }
      }
      if (!id && s.build) {
        if (opts.noBuild) throw new ComposeError(`image ${ref} not found and --no-build set`);
        return void toBuild.push(s);
      }
      if (!id) throw new ComposeError(`Error response from daemon: No such image: ${ref}`, 18);
      out.set(name, id);
    }),
  );
  // Builds one at a time: a build is CPU-bound, and errors read better in order.
  for (const s of toBuild) out.set(s.name, await buildImage(client, project, s, { quiet: true }, progress));
  return out;
}
