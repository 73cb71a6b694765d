// The stage graph of a multi-stage Dockerfile: which stage each stage builds
// on (FROM <stage>) or copies from (COPY --from, RUN --mount from=), which
// stages the target needs, and a scheduler that builds independent stages
// side by side with bounded concurrency while a stage waits for the stages
// it depends on.
import { InvalidArgument } from '../api/errors.js';
import type { Dockerfile, Instruction, Stage } from './types.js';

export type StageBase =
  { kind: 'stage'; index: number } | { kind: 'image'; ref: string } | { kind: 'scratch' };

export interface StagePlan {
  stage: Stage;
  /** FROM's image after meta-ARG expansion. */
  fromImage: string;
  base: StageBase;
  /** Indexes of earlier stages this one needs (its base and its --from sources). */
  deps: number[];
}

/** Finds a stage by `--from` value: a name (case-insensitive) or a 0-based index, only among earlier stages. */
export function stageRef(stages: Stage[], before: number, ref: string): number | null {
  const lower = ref.toLowerCase();
  for (let i = 0; i < before; i++) if (stages[i].name === lower) return i;
  if (/^\d+$/.test(ref)) {
    const n = Number(ref);
    if (n < before) return n;
  }
  return null;
}

/** `--mount=type=bind,from=x,...` → x (only the from= part matters here). */
export function mountFrom(value: string): string | null {
  for (const part of value.split(',')) {
    const [k, v] = part.split('=', 2);
    if (k.trim() === 'from' && v) return v.trim();
  }
  return null;
}

function copySources(ins: Instruction): string[] {
  const out: string[] = [];
  for (const f of ins.flags) {
    if (f.name === 'from' && (ins.keyword === 'COPY' || ins.keyword === 'ADD')) out.push(f.value);
    if (f.name === 'mount' && ins.keyword === 'RUN') {
      const m = mountFrom(f.value);
      if (m) out.push(m);
    }
  }
  return out;
}

/**
 * Plans the stages the target needs, in Dockerfile order. `expandFrom`
 * expands a FROM word with the meta ARGs. Throws Docker's message for an
 * unknown target.
 */
export function planStages(
  df: Dockerfile,
  target: string | undefined,
  expandFrom: (word: string) => string,
): StagePlan[] {
  if (df.stages.length === 0) throw new InvalidArgument('dockerfile contains no stages to build');
  let targetIndex = df.stages.length - 1;
  if (target) {
    const t = df.stages.findIndex((s) => s.name === target.toLowerCase());
    if (t === -1) throw new InvalidArgument(`failed to reach build target ${target} in Dockerfile`);
    targetIndex = t;
  }
  const all: StagePlan[] = df.stages.map((stage, i) => {
    const fromImage = expandFrom(stage.from.args[0] ?? '');
    const baseStage = stageRef(df.stages, i, fromImage);
    const base: StageBase =
      baseStage !== null && !/^\d+$/.test(fromImage)
        ? { kind: 'stage', index: baseStage }
        : fromImage.toLowerCase() === 'scratch'
          ? { kind: 'scratch' }
          : { kind: 'image', ref: fromImage };
    const deps = new Set<number>();
    if (base.kind === 'stage') deps.add(base.index);
    for (const ins of stage.instructions)
      for (const src of copySources(ins)) {
        const d = stageRef(df.stages, i, src);
        if (d !== null) deps.add(d);
      }
    return { stage, fromImage, base, deps: [...deps].sort((a, b) => a - b) };
  });
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of all[i].deps) visit(d);
  };
  visit(targetIndex);
  return all.filter((_, i) => needed.has(i));
}

/** Runs at most `n` jobs at once. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly n: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await job();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

/**
 * Builds every planned stage once its dependencies are built; independent
 * stages run side by side (at most `concurrency`). The first failure aborts
 * the others through `signal` and is rethrown after all have settled.
 */
export async function runStages<T>(
  plans: StagePlan[],
  concurrency: number,
  build: (plan: StagePlan, signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<Map<number, T>> {
  const abort = new AbortController();
  const onOuter = (): void => abort.abort(outer?.reason);
  outer?.addEventListener('abort', onOuter, { once: true });
  const limiter = new Limiter(Math.max(1, concurrency));
  const done = new Map<number, Promise<T>>();
  const results = new Map<number, T>();
  let firstError: unknown = null;
  for (const plan of plans) {
    const waitFor = plan.deps.map((d) => done.get(d)!);
    const p = (async (): Promise<T> => {
      await Promise.all(waitFor);
      if (abort.signal.aborted) throw abort.signal.reason ?? new Error('build cancelled');
      const r = await limiter.run(() => build(plan, abort.signal));
      results.set(plan.stage.index, r);
      return r;
    })();
    p.catch((e) => {
      firstError ??= e;
      abort.abort(e);
    });
    done.set(plan.stage.index, p);
  }
  await Promise.allSettled(done.values());
  outer?.removeEventListener('abort', onOuter);
  if (firstError) throw firstError;
  return results;
}
