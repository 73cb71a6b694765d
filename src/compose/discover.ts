// Which files make the project and what it is called: `-f`, COMPOSE_FILE, or
// the first directory from the cwd upwards holding compose.yaml (and its
// override file); the name from `-p`, COMPOSE_PROJECT_NAME, `name:` or the
// project directory's base name.
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ComposeError } from './model.js';

const CANDIDATES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDES = [
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
];

export interface Discovered {
  files: string[];
  warnings: string[];
}

/** Looks in `dir` and its parents for a Compose file; its override file comes along. */
export function discoverFiles(cwd: string): Discovered {
  let dir = resolve(cwd);
  for (;;) {
    const found = CANDIDATES.filter((c) => existsSync(join(dir, c)));
    if (found.length > 0) {
      const warnings =
        found.length > 1
          ? [
              `Found multiple config files with supported names: ${found.map((f) => join(dir, f)).join(', ')}`,
              `Using ${join(dir, found[0]!)}`,
            ]
          : [];
      const files = [join(dir, found[0]!)];
      const override = OVERRIDES.find((o) => existsSync(join(dir, o)));
      if (override) files.push(join(dir, override));
      return { files, warnings };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ComposeError('no configuration file provided: not found');
}

/** The `-f` list, else COMPOSE_FILE (split on `:`, relative to the cwd), else discovery. */
export function configFiles(
  files: string[],
  cwd: string,
  env: Record<string, string | undefined>,
): Discovered {
  if (files.length > 0) return { files: files.map((f) => (f === '-' ? '-' : resolve(cwd, f))), warnings: [] };
  const fromEnv = env.COMPOSE_FILE;
  if (fromEnv) {
    const sep = env.COMPOSE_PATH_SEPARATOR || ':';
    return {
      files: fromEnv
        .split(sep)
        .filter(Boolean)
        .map((f) => resolve(cwd, f)),
      warnings: [],
    };
  }
  return discoverFiles(cwd);
}

/** Compose's normalisation of a directory name into a project name. */
export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export function invalidProjectName(name: string): ComposeError {
  return new ComposeError(
    `invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
  );
}

/**
 * `-p` or COMPOSE_PROJECT_NAME (from the process env or .env) win, then the
 * first file's `name:`, then the project directory. Explicit names must
 * already be valid; the directory name is normalised.
 */
export function projectName(
  explicit: string | undefined,
  fromFiles: string | undefined,
  projectDir: string,
): string {
  const chosen = explicit || fromFiles;
  if (chosen !== undefined && chosen !== '') {
    if (normalizeProjectName(chosen) !== chosen) throw invalidProjectName(chosen);
    return chosen;
  }
  const name = normalizeProjectName(basename(projectDir));
  if (!name) throw new ComposeError('project name must not be empty');
  return name;
}
