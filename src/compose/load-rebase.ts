// Relative paths in a file that is pulled in from elsewhere (an `include`d
// project, a service `extends`-ed from another file) are relative to that
// file's own directory: make them absolute before the service joins the
// project, so later steps resolve nothing twice.
import { isAbsolute } from 'node:path';
import { resolveHostPath } from './normalize-volumes.js';

type Raw = Record<string, unknown>;

function isMap(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function relative(p: string): boolean {
  return !isAbsolute(p) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p);
}

function rebaseShortVolume(spec: string, dir: string): string {
  const i = spec.indexOf(':');
  if (i <= 0) return spec;
  const src = spec.slice(0, i);
  if (!(src.startsWith('.') || src.startsWith('~'))) return spec;
  return resolveHostPath(src, dir) + spec.slice(i);
}

export function rebaseService(raw: Raw, dir: string): Raw {
  const s: Raw = { ...raw };
  if (typeof s.build === 'string')
    s.build = relative(s.build) && !s.build.startsWith('git@') ? resolveHostPath(s.build, dir) : s.build;
  else if (isMap(s.build)) {
    const b = { ...s.build };
    const ctx = typeof b.context === 'string' ? b.context : '.';
    if (relative(ctx) && !ctx.startsWith('git@')) b.context = resolveHostPath(ctx, dir);
    s.build = b;
  }
  if (Array.isArray(s.volumes)) {
    s.volumes = s.volumes.map((v) => {
      if (typeof v === 'string') return rebaseShortVolume(v, dir);
      if (isMap(v) && v.type === 'bind' && typeof v.source === 'string' && relative(v.source))
        return { ...v, source: resolveHostPath(v.source, dir) };
      return v;
    });
  }
  if (s.env_file !== undefined) {
    const items = Array.isArray(s.env_file) ? s.env_file : [s.env_file];
    s.env_file = items.map((e) =>
      typeof e === 'string'
        ? resolveHostPath(e, dir)
        : isMap(e) && typeof e.path === 'string'
          ? { ...e, path: resolveHostPath(e.path, dir) }
          : e,
    );
  }
  if (isMap(s.extends) && typeof s.extends.file === 'string')
    s.extends = { ...s.extends, file: resolveHostPath(s.extends.file, dir) };
  return s;
}

/** Every service and file-backed secret/config of a whole file. */
export function rebaseFile(data: Raw, dir: string): Raw {
  const out: Raw = { ...data };
  if (isMap(data.services)) {
    out.services = Object.fromEntries(
      Object.entries(data.services).map(([k, v]) => [k, isMap(v) ? rebaseService(v, dir) : v]),
    );
  }
  for (const key of ['secrets', 'configs']) {
    if (!isMap(data[key])) continue;
    out[key] = Object.fromEntries(
      Object.entries(data[key] as Raw).map(([k, v]) => [
        k,
        isMap(v) && typeof v.file === 'string' ? { ...v, file: resolveHostPath(v.file, dir) } : v,
      ]),
    );
  }
  return out;
}
