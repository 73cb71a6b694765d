// Image references normalised the way Docker does (distribution/reference):
// `busybox` → `docker.io/library/busybox:latest`, `localhost:5000/a/b:t`,
// `name@sha256:…`. Messages match Docker's so the CLI output is the same.
import { InvalidArgument } from '../api/errors.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const OFFICIAL_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';

export interface Reference {
  domain: string;
  /** Path within the registry: `library/busybox`, `a/b`. */
  path: string;
  tag?: string;
  digest?: string;
}

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^${NAME}$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const HEX64_RE = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;

function invalid(detail?: string): InvalidArgument {
  return new InvalidArgument(detail ? `invalid reference format: ${detail}` : 'invalid reference format');
}

/** Splits a name into domain and path, adding docker.io and library/ as Docker does. */
function splitDomain(name: string): { domain: string; path: string } {
  const i = name.indexOf('/');
  let domain = DEFAULT_DOMAIN;
  let rest = name;
  if (i !== -1) {
    const first = name.slice(0, i);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      rest = name.slice(i + 1);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = OFFICIAL_PREFIX + rest;
  return { domain, path: rest };
}

/** ParseNormalizedNamed: accepts familiar names, rejects IDs used as names. */
export function parseReference(s: string): Reference {
  if (HEX64_RE.test(s))
    throw new InvalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const { domain, path: rest } = splitDomain(s);
  // Upper case in the path: Docker names the problem precisely.
  const remoteName = rest.split(/[:@]/)[0];
  if (remoteName.toLowerCase() !== remoteName)
    throw invalid(`repository name (${remoteName}) must be lowercase`);
  const full = domain + '/' + rest;
  const m = REFERENCE_RE.exec(full);
  if (!m) throw invalid();
  if (m[1].length > NAME_MAX) throw invalid('repository name must not be more than 255 characters');
  const ref: Reference = { domain, path: m[1].slice(domain.length + 1) };
  if (m[2]) ref.tag = m[2];
  if (m[3]) {
    if (!/^sha256:[a-f0-9]{64}$/.test(m[3])) throw invalid();
    ref.digest = m[3];
  }
  return ref;
}

/** Adds `:latest` when the reference has neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: DEFAULT_TAG };
}

export function repoName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full string: `docker.io/library/busybox:latest`, `…@sha256:…`. */
export function formatReference(ref: Reference): string {
  let s = repoName(ref);
  if (ref.tag) s += ':' + ref.tag;
  if (ref.digest) s += '@' + ref.digest;
  return s;
}

/** FamiliarName: `docker.io/library/busybox` → `busybox`, `docker.io/a/b` → `a/b`. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repoName(ref);
  return ref.path.startsWith(OFFICIAL_PREFIX) && ref.path.split('/').length === 2
    ? ref.path.slice(OFFICIAL_PREFIX.length)
    : ref.path;
}

export function familiarString(ref: Reference): string {
  let s = familiarName(ref);
  if (ref.tag) s += ':' + ref.tag;
  if (ref.digest) s += '@' + ref.digest;
  return s;
}

/** Familiar form of a stored (fully normalised) reference string. */
export function familiar(stored: string): string {
  return familiarString(parseReference(stored));
}

/** Normalises `name` to the stored form with a default tag: `busybox` → `docker.io/library/busybox:latest`. */
export function normalize(name: string): string {
  return formatReference(withDefaultTag(parseReference(name)));
}

/** Validates a repository name without tag (the `repo` argument of tag/import). */
export function parseRepository(repo: string): Reference {
  const ref = parseReference(repo);
  if (ref.tag || ref.digest) throw invalid();
  if (!ANCHORED_NAME_RE.test(repoName(ref))) throw invalid();
  return ref;
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/**
 * `repo` + `tag` query arguments (tag, import, commit) → a reference, as
 * Docker's RepoTagReference: the tag may also be inside `repo`.
 */
export function repoTagReference(
  repo: string,
  tag: string | undefined,
  digestError = 'cannot import digest reference',
): Reference | null {
  if (!repo) return null;
  const ref = parseReference(repo);
  if (ref.digest) throw new InvalidArgument(digestError);
  if (tag) {
    if (!isValidTag(tag)) throw invalid();
    return { ...ref, tag };
  }
  return withDefaultTag(ref);
}
