// The loader's entry, in the order Compose v2 applies the steps: files →
// YAML → interpolation → schema (each file) → include → merge → extends →
// normalised Project (profiles, defaults, names, references, cycles).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ComposeError, type LoadOptions, type Project } from './model.js';
import { configFiles, projectName } from './discover.js';
import { parseEnvFile } from './envfile.js';
import { interpolateTree } from './interpolate.js';
import { parseComposeYaml, type ParsedFile } from './load-yaml.js';
import { mergeFiles, stripMarkers } from './merge.js';
import { normalizeProject } from './normalize.js';
import { activeProfiles } from './profiles.js';
import { validateSchema } from './schema.js';
import { applyIncludes } from './include.js';
import { applyExtends } from './extends.js';

type Raw = Record<string, unknown>;

export interface LoadHooks {
  /** Where warnings go; Compose prints them on stderr as `WARN[0000] …`. */
  warn?: (message: string) => void;
  /** Reads stdin for `-f -`. */
  readStdin?: () => string;
  /** Skip interpolation (`config --no-interpolate`). */
  noInterpolate?: boolean;
}

export function stderrWarn(message: string): void {
  process.stderr.write(`WARN[0000] ${message}\n`);
}

export async function loadProject(opts: LoadOptions, hooks: LoadHooks = {}): Promise<Project> {
  const warn = hooks.warn ?? stderrWarn;
  const { files, warnings } = configFiles(opts.files, opts.cwd, discoveryEnv(opts));
  warnings.forEach(warn);
  const firstDir = files[0] === '-' || files[0] === undefined ? opts.cwd : dirname(files[0]);
  const workingDir = resolve(opts.cwd, opts.projectDirectory ?? firstDir);
  const environment = projectEnvironment(opts, workingDir);
  const lookup = (k: string) => environment[k];

  const warned = new Set<string>();
  const onMissing = (name: string) => {
    if (warned.has(name)) return;
    warned.add(name);
    warn(`The ${JSON.stringify(name)} variable is not set. Defaulting to a blank string.`);
  };

  let merged: Raw = {};
  for (const path of files) {
    const text =
      path === '-' ? (hooks.readStdin ?? (() => readFileSync(0, 'utf8')))() : readComposeFile(path);
    const parsed = parseComposeYaml(text, path);
    if ('version' in parsed.data) {
      warn(
        `${path}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`,
      );
    }
    const data = hooks.noInterpolate ? parsed.data : (interpolateTree(parsed.data, lookup, onMissing) as Raw);
    validateSchema(stripMarkers(data) as Raw, { ...parsed, data } satisfies ParsedFile);
    const included = applyIncludes(data, {
      file: path,
      workingDir,
      environment,
      warn,
      onMissing,
      noInterpolate: !!hooks.noInterpolate,
    });
    merged = mergeFiles(merged, included);
  }
  merged = stripMarkers(
    applyExtends(merged, { workingDir, lookup, onMissing, noInterpolate: !!hooks.noInterpolate, warn }),
  ) as Raw;

  const explicitName = opts.projectName || environment.COMPOSE_PROJECT_NAME;
  const name = projectName(
    explicitName,
    typeof merged.name === 'string' ? merged.name : undefined,
    workingDir,
  );
  const project = normalizeProject({
    name,
    workingDir,
    configFiles: files,
    environment,
    data: merged,
    profiles: activeProfiles(opts.profiles, environment),
    services: opts.services ?? [],
  });
  project.env_files = projectEnvFiles(opts, workingDir);
  return project;
}

/** COMPOSE_FILE (and friends) may also come from the .env of the cwd or --project-directory. */
function discoveryEnv(opts: LoadOptions): Record<string, string | undefined> {
  if (opts.files.length > 0 || opts.env.COMPOSE_FILE) return opts.env;
  const dir = resolve(opts.cwd, opts.projectDirectory ?? '.');
  const fromFiles = projectEnvironment({ ...opts, env: {} }, dir);
  return { ...fromFiles, ...opts.env };
}

function readComposeFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ComposeError(`open ${path}: no such file or directory`);
    if (code === 'EISDIR') throw new ComposeError(`read ${path}: is a directory`);
    throw new ComposeError(`open ${path}: ${(e as Error).message}`);
  }
}

/**
 * The variables interpolation sees: `--env-file`s (or the project's `.env`),
 * with the process environment winning over them.
 */
/** `--env-file`s, else COMPOSE_ENV_FILES (comma list), both relative to the cwd; else the project's `.env` when there is one. */
export function projectEnvFiles(opts: LoadOptions, workingDir: string): string[] {
  if (opts.envFiles.length > 0) return opts.envFiles.map((f) => resolve(opts.cwd, f));
  const fromEnv = (opts.env.COMPOSE_ENV_FILES ?? '').split(',').filter((f) => f.trim() !== '');
  if (fromEnv.length > 0) return fromEnv.map((f) => resolve(opts.cwd, f.trim()));
  return [resolve(workingDir, '.env')].filter((f) => existsSync(f));
}

export function projectEnvironment(opts: LoadOptions, workingDir: string): Record<string, string> {
  const processEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) processEnv[k] = v;
  const envFiles = projectEnvFiles(opts, workingDir);
  const fromFiles: Record<string, string> = {};
  for (const f of envFiles) {
    if (!existsSync(f)) throw new ComposeError(`couldn't find env file: ${f}`);
    Object.assign(
      fromFiles,
      parseEnvFile(f, (k) => processEnv[k] ?? fromFiles[k]),
    );
  }
  return { ...fromFiles, ...processEnv };
}
