// `include:` (short and long syntax): each entry is loaded as its own Compose
// application (own project directory, own `.env`, paths relative to itself)
// and its resources are copied into the including file. A resource defined on
// both sides must be identical, else Compose's "conflicts with imported
// resource" error.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ComposeError } from './model.js';
import { parseEnvFile } from './envfile.js';
import { interpolateTree } from './interpolate.js';
import { parseComposeYaml } from './load-yaml.js';
import { mergeFiles, stripMarkers } from './merge.js';
import { rebaseFile } from './load-rebase.js';
import { validateSchema } from './schema.js';
import { applyExtends } from './extends.js';

type Raw = Record<string, unknown>;

export interface IncludeContext {
  /** The including file (`-` for stdin). */
  file: string;
  /** Directory relative include paths are resolved against. */
  workingDir: string;
  environment: Record<string, string>;
  warn: (m: string) => void;
  onMissing: (name: string) => void;
  noInterpolate: boolean;
  /** Files on the way here, to refuse include cycles. */
  chain?: string[];
}

const RESOURCES = ['services', 'networks', 'volumes', 'secrets', 'configs'];

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function applyIncludes(data: Raw, ctx: IncludeContext): Raw {
  const entries = data.include;
  if (!Array.isArray(entries) || entries.length === 0) return data;
  const out: Raw = { ...data };
  delete out.include;
  for (const entry of entries) {
    const e: Raw = typeof entry === 'string' ? { path: entry } : (entry as Raw);
    const paths = asList(e.path).map((p) => resolve(ctx.workingDir, p));
    if (paths.length === 0) continue;
    const chain = [...(ctx.chain ?? [ctx.file])];
    for (const p of paths) {
      if (chain.includes(p))
        throw new ComposeError(`include cycle detected:\n${[...chain, p].join('\n include ')}`);
    }
    const projectDir =
      e.project_directory !== undefined
        ? resolve(ctx.workingDir, String(e.project_directory))
        : dirname(paths[0]!);
    const included = loadIncluded(
      paths,
      projectDir,
      asList(e.env_file).map((f) => resolve(ctx.workingDir, f)),
      { ...ctx, chain: [...chain, ...paths] },
    );
    for (const key of RESOURCES) importResources(out, included, key);
  }
  return out;
}

function loadIncluded(paths: string[], projectDir: string, envFiles: string[], ctx: IncludeContext): Raw {
  // The included project's .env gives defaults; the including project's environment wins.
  const files = envFiles.length > 0 ? envFiles : [resolve(projectDir, '.env')].filter((f) => existsSync(f));
  const env: Record<string, string> = {};
  for (const f of files)
    Object.assign(
      env,
      parseEnvFile(f, (k) => ctx.environment[k] ?? env[k]),
    );
  Object.assign(env, ctx.environment);
  const lookup = (k: string) => env[k];
  let merged: Raw = {};
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new ComposeError(`open ${path}: no such file or directory`);
    }
    const parsed = parseComposeYaml(text, path);
    const data = ctx.noInterpolate
      ? parsed.data
      : (interpolateTree(parsed.data, lookup, ctx.onMissing) as Raw);
    validateSchema(stripMarkers(data) as Raw, { ...parsed, data });
    const nested = applyIncludes(data, { ...ctx, file: path, workingDir: projectDir, environment: env });
    merged = mergeFiles(merged, nested);
  }
  merged = applyExtends(merged, {
    workingDir: projectDir,
    lookup,
    onMissing: ctx.onMissing,
    noInterpolate: ctx.noInterpolate,
    warn: ctx.warn,
  });
  return rebaseFile(stripMarkers(merged) as Raw, projectDir);
}

function importResources(target: Raw, source: Raw, key: string): void {
  const from = source[key] as Raw | undefined;
  if (!from || typeof from !== 'object') return;
  const to: Raw = { ...((target[key] as Raw | undefined) ?? {}) };
  for (const [name, def] of Object.entries(from)) {
    if (name in to) {
      if (isDeepStrictEqual(stripMarkers(to[name]), def)) continue;
      throw new ComposeError(`${key}.${name} conflicts with imported resource`);
    }
    to[name] = def;
  }
  target[key] = to;
}
