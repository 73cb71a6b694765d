// Docker's JSON shapes for images: the list summary, inspect and history,
// and the list filters (dangling, reference, label, before, since, until).
import path from 'node:path';
import { InvalidArgument } from '../api/errors.js';
import { checkFilterKeys, type Filters } from '../api/query.js';
import { gte } from '../api/version.js';
import { familiarName, parseReference } from '../image/reference.js';
import type { ImageService, ImageRecord } from './images.js';

const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000) || 0;

export function imageSummary(
  images: ImageService,
  img: ImageRecord,
  version: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Containers: -1,
    Created: unixSeconds(img.created),
    Id: img.id,
    Labels: img.config.config?.Labels ?? null,
    ParentId: img.parent ?? '',
    RepoDigests: images.repoDigests(img.id),
    RepoTags: images.repoTags(img.id),
    SharedSize: -1,
    Size: img.size,
  };
  if (!gte(version, '1.44')) {
    out.VirtualSize = img.size;
    if ((out.RepoTags as string[]).length === 0) out.RepoTags = ['<none>:<none>'];
    if ((out.RepoDigests as string[]).length === 0) out.RepoDigests = ['<none>@<none>'];
  }
  return out;
}

/** The config as inspect shows it: the OCI fields, or the legacy full container config before 1.50. */
function inspectConfig(img: ImageRecord, version: string): Record<string, unknown> {
  const c = img.config.config ?? {};
  if (gte(version, '1.50')) return { ...c };
  return {
    Hostname: '',
    Domainname: '',
    User: c.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: c.ArgsEscaped } : {}),
    Image: '',
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? '',
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell ? { Shell: c.Shell } : {}),
  };
}

export function imageInspect(
  images: ImageService,
  img: ImageRecord,
  version: string,
): Record<string, unknown> {
  const chain = images.layers.chain(img.topLayer);
  const dirs = chain.map((l) => images.layers.diffDir(l.chainId));
  const graphData: Record<string, string> = {};
  if (dirs.length > 0) {
    const top = path.dirname(dirs[0]);
    if (dirs.length > 1) graphData.LowerDir = dirs.slice(1).join(':');
    graphData.MergedDir = path.join(top, 'merged');
    graphData.UpperDir = dirs[0];
    graphData.WorkDir = path.join(top, 'work');
  }
  const out: Record<string, unknown> = {
    Id: img.id,
    RepoTags: images.repoTags(img.id),
    RepoDigests: images.repoDigests(img.id),
    Parent: img.parent ?? '',
    Comment: img.config.comment ?? '',
    Created: img.config.created ?? '',
  };
  if (!gte(version, '1.45')) {
    out.Container = img.config.container ?? '';
    out.ContainerConfig = inspectConfig(
      { ...img, config: { ...img.config, config: img.config.container_config } },
      '1.49',
    );
  }
  if (img.config.docker_version) out.DockerVersion = img.config.docker_version;
  else if (!gte(version, '1.50')) out.DockerVersion = '';
  Object.assign(out, {
    Author: img.config.author ?? '',
    Config: inspectConfig(img, version),
    Architecture: img.config.architecture,
    ...(img.config.variant ? { Variant: img.config.variant } : {}),
    Os: img.config.os,
    ...(img.config['os.version'] ? { OsVersion: img.config['os.version'] } : {}),
    Size: img.size,
  });
  if (!gte(version, '1.44')) out.VirtualSize = img.size;
  Object.assign(out, {
    GraphDriver: { Data: dirs.length ? graphData : null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: img.config.rootfs?.diff_ids ?? [] },
    Metadata: { LastTagTime: img.lastTagTime ?? '0001-01-01T00:00:00Z' },
  });
  return out;
}

/** `GET /images/{name}/history`, newest first. */
export function imageHistory(images: ImageService, img: ImageRecord): Record<string, unknown>[] {
  const layers = images.layers.chain(img.topLayer).reverse(); // bottom first
  const history = img.config.history ?? [];
  const out: Record<string, unknown>[] = [];
  let li = 0;
  for (const h of history) {
    let size = 0;
    if (!h.empty_layer) size = layers[li++]?.size ?? 0;
    out.push({
      Comment: h.comment ?? '',
      Created: h.created ? unixSeconds(h.created) : 0,
      CreatedBy: h.created_by ?? '',
      Id: '<missing>',
      Size: size,
      Tags: null,
    });
  }
  // Layers without a history entry (configs that omit history).
  for (; li < layers.length; li++)
    out.push({
      Comment: '',
      Created: unixSeconds(img.created),
      CreatedBy: '',
      Id: '<missing>',
      Size: layers[li].size,
      Tags: null,
    });
  out.reverse();
  if (out.length === 0)
    out.push({ Comment: '', Created: unixSeconds(img.created), CreatedBy: '', Id: '', Size: 0, Tags: null });
  // Newest entry is the image; each older one is its local parent, as long as
  // the parent chain (build steps, commits) goes.
  let cur: ImageRecord | undefined = img;
  for (const entry of out) {
    if (!cur) break;
    entry.Id = cur.id;
    const tags = images.repoTags(cur.id);
    entry.Tags = tags.length ? tags : null;
    cur = cur.parent ? images.records.get(cur.parent) : undefined;
  }
  return out;
}

/** Docker's reference filter: a glob over the familiar name, or name:tag. */
function referenceMatches(pattern: string, refs: string[]): boolean {
  return refs.some((r) => {
    const ref = parseReference(r);
    const name = familiarName(ref);
    const full = ref.tag ? `${name}:${ref.tag}` : ref.digest ? `${name}@${ref.digest}` : name;
    return globMatch(pattern, name) || globMatch(pattern, full);
  });
}

/** Go's path.Match subset: `*`, `?`, `[...]`; `*` does not cross `/`. */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/\\/g, '\\\\');
      re += '[' + cls + ']';
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += '\\' + pattern[++i];
    else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  try {
    return new RegExp(re + '$').test(s);
  } catch {
    return false;
  }
}

function labelMatches(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq === -1) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** Durations (`10m`, `1h30m`), RFC 3339 or unix timestamps → ms since epoch. */
export function parseUntil(value: string, now = Date.now()): number {
  const dur = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(value);
  if (dur) {
    const unit: Record<string, number> = {
      ns: 1e-6,
      us: 1e-3,
      µs: 1e-3,
      ms: 1,
      s: 1000,
      m: 60000,
      h: 3600000,
    };
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]];
    return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgument(`failed to parse value as time or duration: "${value}"`);
  return t;
}

export const LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'] as const;

function boolFilter(values: string[] | undefined, name: string): boolean | undefined {
  if (!values?.length) return undefined;
  const v = values[values.length - 1].toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgument(`Invalid filter '${name}=${values[values.length - 1]}'`);
}

/** `GET /images/json`: filtered summaries, newest first. */
export function listImages(
  images: ImageService,
  filters: Filters,
  all: boolean,
  version: string,
): Record<string, unknown>[] {
  checkFilterKeys(filters, LIST_FILTERS);
  const dangling = boolFilter(filters.get('dangling'), 'dangling');
  const before = filters.get('before')?.map((n) => images.get(n).created);
  const since = filters.get('since')?.map((n) => images.get(n).created);
  const until = filters.get('until')?.map((u) => parseUntil(u));
  const labels = filters.get('label') ?? [];
  const refs = filters.get('reference') ?? [];
  const out: { created: number; json: Record<string, unknown> }[] = [];
  for (const img of images.records.all()) {
    const stored = images.records.refs(img.id);
    const isDangling = stored.length === 0;
    if (dangling !== undefined && dangling !== isDangling) continue;
    // Intermediate images (untagged parents of other images) only with all=1.
    if (!all && isDangling && images.records.children(img.id).length > 0) continue;
    const created = Date.parse(img.created);
    if (before && !before.every((b) => created < Date.parse(b))) continue;
    if (since && !since.every((s) => created > Date.parse(s))) continue;
    if (until && !until.every((u) => created < u)) continue;
    if (labels.length && !labelMatches((img.config.config?.Labels ?? {}) as Record<string, string>, labels))
      continue;
    if (refs.length && !refs.some((p) => referenceMatches(p, stored))) continue;
    const json = imageSummary(images, img, version);
    if (refs.length) {
      // Docker lists only the tags and digests that matched the reference
      // filter, so `docker images repoA` shows no row for a repoB digest.
      const matching = (list: string[]): string[] =>
        list.filter((t) => refs.some((p) => referenceMatches(p, [normalizeRef(t)])));
      json.RepoTags = matching(json.RepoTags as string[]);
      json.RepoDigests = matching(json.RepoDigests as string[]);
    }
    out.push({ created, json });
  }
  out.sort((a, b) => b.created - a.created);
  return out.map((o) => o.json);
}

/** A familiar tag or digest reference (`busybox:latest`, `busybox@sha256:…`) back to the stored form. */
function normalizeRef(t: string): string {
  const ref = parseReference(t);
  return `${ref.domain}/${ref.path}${ref.tag ? ':' + ref.tag : ''}${ref.digest ? '@' + ref.digest : ''}`;
}
