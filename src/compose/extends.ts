// `extends:` — a service built on another one, from the same file or from
// `file:` (interpolated with the project's environment, its relative paths
// resolved against its own directory), merged with Compose's merge rules, the
// extending service winning. Chains are followed; cycles are refused.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ComposeError } from './model.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { parseComposeYaml } from './load-yaml.js';
import { mergeValue, stripMarkers } from './merge.js';
import { rebaseService } from './load-rebase.js';
import { validateSchema } from './schema.js';

type Raw = Record<string, unknown>;

export interface ExtendsContext {
  workingDir: string;
  lookup: Lookup;
  onMissing: (name: string) => void;
  noInterpolate: boolean;
  warn: (m: string) => void;
}

function isMap(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function applyExtends(data: Raw, ctx: ExtendsContext): Raw {
  if (!isMap(data.services)) return data;
  const services = data.services;
  const files = new Map<string, Raw>();
  const resolved: Raw = {};
  for (const name of Object.keys(services)) {
    resolved[name] = resolveService(name, services, '(main)', ctx.workingDir, ctx, files, []);
  }
  return { ...data, services: resolved };
}

function readServices(path: string, ctx: ExtendsContext, cache: Map<string, Raw>): Raw {
  let services = cache.get(path);
  if (!services) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new ComposeError(`open ${path}: no such file or directory`);
    }
    const parsed = parseComposeYaml(text, path);
    const data = (
      ctx.noInterpolate ? parsed.data : interpolateTree(parsed.data, ctx.lookup, ctx.onMissing)
    ) as Raw;
    validateSchema(stripMarkers(data) as Raw, { ...parsed, data });
    services = isMap(data.services) ? data.services : {};
    cache.set(path, services);
  }
  return services;
}

function resolveService(
  name: string,
  services: Raw,
  file: string,
  dir: string,
  ctx: ExtendsContext,
  cache: Map<string, Raw>,
  chain: string[],
): Raw {
  const here = `${file}#${name}`;
  if (chain.includes(here)) {
    throw new ComposeError(
      `circular reference with extends: ${[...chain, here].map((c) => c.split('#')[1]).join(' -> ')}`,
    );
  }
  const raw = services[name];
  if (!isMap(raw)) return (raw ?? {}) as Raw;
  const ext = raw.extends;
  if (ext === undefined) return raw;
  const spec: Raw = typeof ext === 'string' ? { service: ext } : (ext as Raw);
  const baseName = String(spec.service);
  let baseServices = services;
  let baseFile = file;
  let baseDir = dir;
  if (typeof spec.file === 'string') {
    baseFile = resolve(dir, spec.file);
    baseDir = dirname(baseFile);
    baseServices = readServices(baseFile, ctx, cache);
  }
  if (!(baseName in baseServices)) {
    const where = baseFile === '(main)' ? 'the project' : baseFile;
    throw new ComposeError(
      `cannot extend service ${JSON.stringify(name)} in ${where}: service ${JSON.stringify(baseName)} not found`,
    );
  }
  let base = resolveService(baseName, baseServices, baseFile, baseDir, ctx, cache, [...chain, here]);
  if (baseDir !== dir) base = rebaseService(base, baseDir);
  const own: Raw = { ...raw };
  delete own.extends;
  const merged = mergeValue(stripMarkers(base), own, ['services', name]) as Raw;
  return merged;
}
