// Dependency order from depends_on: services run as soon as everything they
// depend on is done (in parallel where the graph allows), or the reverse for
// stop/down. Like Compose's graph traversal.
import { ComposeError, type Project } from './model.js';

export type Direction = 'up' | 'down';

/** Throws Compose's error on a cycle among `names`. */
export function checkCycles(project: Project, names = Object.keys(project.services)): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, path: string[]): void => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(n)), n];
      throw new ComposeError(`dependency cycle detected: ${cycle.join(' -> ')}`);
    }
    state.set(n, 'visiting');
    for (const dep of Object.keys(project.services[n]?.depends_on ?? {}))
      if (project.services[dep]) visit(dep, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of names) visit(n, []);
}

/** `names` plus every service they (transitively) depend on. */
export function withDependencies(project: Project, names: string[]): string[] {
  const out = new Set<string>();
  const add = (n: string): void => {
    if (out.has(n) || !project.services[n]) return;
    out.add(n);
    for (const dep of Object.keys(project.services[n].depends_on ?? {})) add(dep);
  };
  names.forEach(add);
  return Object.keys(project.services).filter((n) => out.has(n));
}

/**
 * Runs `fn` for every service in `names`: 'up' runs a service after its
 * dependencies (within `names`), 'down' after its dependents. The first
 * failure stops new work and is rethrown once running work has settled.
 */
export async function visitInOrder(
  project: Project,
  names: string[],
  direction: Direction,
  fn: (name: string) => Promise<void>,
): Promise<void> {
  checkCycles(project, names);
  const set = new Set(names);
  const edges = new Map<string, string[]>(); // n → what must finish before n
  for (const n of names) {
    const deps = Object.keys(project.services[n]?.depends_on ?? {}).filter((d) => set.has(d));
    edges.set(n, direction === 'up' ? deps : []);
  }
  if (direction === 'down')
    for (const n of names)
      for (const d of Object.keys(project.services[n]?.depends_on ?? {}))
        if (set.has(d)) edges.get(d)!.push(n);

  const done = new Map<string, Promise<void>>();
  let failure: unknown;
  const run = (n: string): Promise<void> => {
    let p = done.get(n);
    if (p) return p;
    p = (async () => {
      await Promise.all(edges.get(n)!.map(run));
      if (failure === undefined) await fn(n);
    })().catch((e: unknown) => {
      failure ??= e;
    });
    done.set(n, p);
    return p;
  };
  await Promise.all(names.map(run));
  if (failure !== undefined) throw failure;
}
