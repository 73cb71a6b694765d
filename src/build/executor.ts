// The build executor: plans the stages the target needs, builds independent
// stages side by side, runs each stage's instructions with the legacy
// builder's semantics (executor-steps.ts), prints its JSON stream, and tags
// the result. One Executor per build request.
import { NotFound } from '../api/errors.js';
import type { ContainerService } from '../engine/containers.js';
import type { ImageService } from '../engine/images.js';
import type { ImageConfig } from '../image/config.js';
import { goArch } from '../image/config.js';
import { BuildCache } from './cache.js';
import { ContentHasher } from './cache-hash.js';
import type { BuildContext } from './context-extract.js';
import { StepError } from './copy.js';
import { expandWord } from './expand.js';
import { adoptImage, PROXY_ARGS, type StageState } from './executor-state.js';
import { BuildOutput } from './executor-output.js';
import { StepEngine } from './executor-run.js';
import { Steps } from './executor-steps.js';
import { DEFAULT_PATH, envKey, runConfigFrom } from './image-config.js';
import { planStages, runStages, type StagePlan } from './stages.js';
import type { Dockerfile, Instruction } from './types.js';

export interface BuildRequest {
  contextDir: string;
  /** The context as received: COPY asks it for cache keys first and has it written out only when needed. */
  context?: Pick<BuildContext, 'materialize' | 'digestOf' | 'hashSources'>;
  dockerfile: Dockerfile;
  tags: string[];
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  /** Remove intermediate containers (always on failure too: no dangling containers). */
  rm: boolean;
  cacheFrom: string[];
  networkMode: string;
  extraHosts: string[];
  /** HostConfig resource fields for RUN containers (Memory, CpuShares, ShmSize, …). */
  resources: Record<string, unknown>;
  platform?: string;
}

export interface ExecutorDeps {
  images: ImageService;
  containers: ContainerService;
  cache: BuildCache;
  /** Pulls `ref`, writing Docker's pull progress as build stream lines. */
  pull(ref: string, write: (m: Record<string, unknown>) => void, signal: AbortSignal): Promise<void>;
  /** Tags an image (normalised reference). */
  tag(imageId: string, ref: string): void;
  tmp: string;
  /** Where `RUN --mount=type=cache` directories live. */
  cacheMounts: string;
  concurrency: number;
}

export interface BuildResult {
  imageId: string;
}

export class Executor {
  readonly hasher: ContentHasher;
  readonly engine: StepEngine;
  /** Build args some stage declared (the rest are reported unused). */
  readonly usedArgs = new Set<string>();
  /** Images that `--cache-from` allows as cache sources (with their parents). */
  readonly cacheFromImages = new Set<string>();
  private readonly results = new Map<number, StageState>();
  private stepOf = new Map<Instruction, number>();
  private prefetched = false;
  total = 0;

  constructor(
    readonly deps: ExecutorDeps,
    readonly req: BuildRequest,
    readonly out: BuildOutput,
  ) {
    this.engine = new StepEngine(deps.containers, deps.images, deps.tmp);
    this.hasher = new ContentHasher(req.context ? (abs) => req.context!.digestOf(abs) : undefined);
  }

  /** Expands a FROM word with the meta ARGs (defaults overridden by build args). */
  private metaLookup(): (name: string) => string | undefined {
    const meta = new Map<string, string | undefined>();
    for (const a of this.req.dockerfile.metaArgs)
      for (const w of a.args) {
        const eq = w.indexOf('=');
        const name = eq === -1 ? w : w.slice(0, eq);
        const dflt =
          eq === -1 ? undefined : expandWord(w.slice(eq + 1), (n) => meta.get(n), this.req.dockerfile.escape);
        const given = this.req.buildArgs[name];
        meta.set(name, given !== undefined && given !== null ? given : dflt);
        this.usedArgs.add(name);
      }
    return (n) => meta.get(n);
  }

  readonly metaArgValue = (name: string): string | undefined => this.metaLookup()(name);

  async run(signal: AbortSignal): Promise<BuildResult> {
    const df = this.req.dockerfile;
    const meta = this.metaLookup();
    const plans = planStages(df, this.req.target, (w) => expandWord(w, meta, df.escape));
    this.addLabelStep(plans);
    for (const id of this.req.cacheFrom) this.addCacheFrom(id);
    // Step numbers follow the Dockerfile: meta ARGs, then each planned stage's FROM and instructions.
    let n = 0;
    for (const a of df.metaArgs) this.stepOf.set(a, ++n);
    for (const p of plans) {
      this.stepOf.set(p.stage.from, ++n);
      for (const ins of p.stage.instructions) this.stepOf.set(ins, ++n);
    }
    this.total = n;
    for (const a of df.metaArgs) {
      this.out.text(`Step ${this.stepOf.get(a)}/${n} : ${a.original}`);
      this.out.text('\n');
    }
    const target = plans[plans.length - 1];
    await runStages(plans, this.deps.concurrency, (plan, sig) => this.buildStage(plan, sig), signal);
    const final = this.results.get(target.stage.index)!;
    if (!final.imageId) throw new StepError('No image was generated. Is your Dockerfile empty?');
    const unused = Object.keys(this.req.buildArgs)
      .filter((k) => !this.usedArgs.has(k) && !PROXY_ARGS.has(k))
      .sort();
    if (unused.length)
      this.out.text(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    return { imageId: final.imageId };
  }

  /** `--label`s become a LABEL step at the end of the target stage, as dockerd adds one. */
  private addLabelStep(plans: StagePlan[]): void {
    const keys = Object.keys(this.req.labels).sort();
    if (!keys.length) return;
    const pairs = keys.map((k) => `${quoteIfNeeded(k)}=${quoteIfNeeded(this.req.labels[k])}`);
    const stage = plans[plans.length - 1].stage;
    const ins: Instruction = {
      line: 0,
      keyword: 'LABEL',
      original: `LABEL ${pairs.join(' ')}`,
      args: keys.flatMap((k) => [JSON.stringify(k), JSON.stringify(this.req.labels[k])]),
      json: false,
      flags: [],
      heredocs: [],
    };
    plans[plans.length - 1] = {
      ...plans[plans.length - 1],
      stage: { ...stage, instructions: [...stage.instructions, ins] },
    };
  }

  private addCacheFrom(ref: string): void {
    let rec;
    try {
      rec = this.deps.images.get(ref);
    } catch {
      return; // dockerd ignores cache-from images it does not have
    }
    for (let id: string | null = rec.id; id;) {
      this.cacheFromImages.add(id);
      id = this.deps.images.records.get(id)?.parent ?? null;
    }
  }

  /**
   * A step missed the cache: if a later COPY/ADD reads the context, its
   * files are written out now, beside the steps that run meanwhile, rather
   * than when that COPY gets there. An all-cached build never calls this.
   */
  contextNeededSoon(): void {
    if (this.prefetched || !this.req.context) return;
    this.prefetched = true;
    const readsContext = this.req.dockerfile.stages.some((st) =>
      st.instructions.some(
        (i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !i.flags.some((f) => f.name === 'from'),
      ),
    );
    // Failures surface where the files are needed (materialize is asked again there).
    if (readsContext) this.req.context.materialize().catch(() => undefined);
  }

  step(ins: Instruction): number {
    return this.stepOf.get(ins) ?? 0;
  }

  /** The finished state of an earlier stage (for FROM <stage> and COPY --from). */
  stageResult(index: number): StageState {
    const r = this.results.get(index);
    if (!r) throw new Error(`stage ${index} has not been built`);
    return r;
  }

  private async buildStage(plan: StagePlan, signal: AbortSignal): Promise<StageState> {
    const out = this.out.stage(plan.stage.index, plan.stage.name);
    const st: StageState = {
      plan,
      out,
      imageId: '',
      topLayer: null,
      config: runConfigFrom(null),
      platform: { architecture: goArch(), os: 'linux' },
      history: [],
      diffIds: [],
      args: new Map(),
      cmdSet: false,
    };
    const steps = new Steps(this, st, signal);
    const from = plan.stage.from;
    out.step(this.step(from), this.total, from.original);
    try {
      await this.from(st, signal);
      await steps.triggers();
      out.endStep(this.step(from), this.total);
      for (const ins of plan.stage.instructions) {
        if (signal.aborted) throw signal.reason ?? new Error('build cancelled');
        out.step(this.step(ins), this.total, ins.original);
        await steps.dispatch(ins);
        out.endStep(this.step(ins), this.total);
      }
    } catch (e) {
      out.endStep(0, this.total);
      throw e;
    }
    this.results.set(plan.stage.index, st);
    return st;
  }

  /** FROM: an earlier stage, scratch, or an image (pulled when missing or with --pull). */
  private async from(st: StageState, signal: AbortSignal): Promise<void> {
    const { base, fromImage } = st.plan;
    const images = this.deps.images;
    if (base.kind === 'scratch') {
      st.out.text(' ---> \n');
    } else {
      let id: string;
      if (base.kind === 'stage') id = this.stageResult(base.index).imageId;
      else {
        let found: string | null = null;
        if (!this.req.pull) found = lookupImage(images, base.ref);
        if (!found) {
          await this.deps.pull(base.ref, (m) => st.out.write(m), signal);
          found = lookupImage(images, base.ref);
          if (!found) throw new NotFound(`No such image: ${base.ref}`);
        }
        id = found;
      }
      if (!id) throw new StepError(`base name (${fromImage}) should not be blank`);
      adoptImage(images, st, id);
      const cfg = images.get(id).config as ImageConfig;
      st.platform = {
        architecture: cfg.architecture || goArch(),
        os: cfg.os || 'linux',
        ...(cfg.variant ? { variant: cfg.variant } : {}),
      };
      st.out.text(` ---> ${id.replace(/^sha256:/, '').slice(0, 12)}\n`);
    }
    // dockerd adds the default PATH when the base image sets none.
    if (!(st.config.Env ?? []).some((e) => envKey(e) === 'PATH'))
      st.config.Env = [...(st.config.Env ?? []), DEFAULT_PATH];
  }
}

function lookupImage(images: ImageService, ref: string): string | null {
  try {
    return images.get(ref).id;
  } catch (e) {
    if (e instanceof NotFound) return null;
    throw e;
  }
}

function quoteIfNeeded(s: string): string {
  return /[\s"'=\\$]/.test(s) || s === '' ? JSON.stringify(s) : s;
}
