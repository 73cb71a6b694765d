// A small route table: `METHOD /path/:param` patterns, matched after the
// optional `/v1.NN` prefix has been stripped.
import type { Ctx } from './context.js';

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export interface Match {
  handler: Handler;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    this.routes.push({ method, segments: path.split('/').filter(Boolean), handler });
    return this;
  }
  get(path: string, h: Handler): this {
    return this.add('GET', path, h);
  }
  post(path: string, h: Handler): this {
    return this.add('POST', path, h);
  }
  put(path: string, h: Handler): this {
    return this.add('PUT', path, h);
  }
  delete(path: string, h: Handler): this {
    return this.add('DELETE', path, h);
  }
  head(path: string, h: Handler): this {
    return this.add('HEAD', path, h);
  }

  /** Returns the match, `'method'` when the path exists under another method, or null. */
  match(method: string, path: string): Match | 'method' | null {
    const segs = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segs);
      if (!params) continue;
      if (route.method === method) return { handler: route.handler, params };
      pathMatched = true;
    }
    return pathMatched ? 'method' : null;
  }
}

function matchSegments(pattern: string[], segs: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith('*')) {
      // A wildcard takes one or more segments, leaving what the rest of the
      // pattern needs: image names contain slashes (`/images/a/b/json`).
      const rest = pattern.length - i - 1;
      const end = segs.length - rest;
      if (end <= i) return null;
      params[p.slice(1)] = segs.slice(i, end).map(decodeURIComponent).join('/');
      const tail = matchSegments(pattern.slice(i + 1), segs.slice(end));
      return tail ? { ...params, ...tail } : null;
    }
    if (i >= segs.length) return null;
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(segs[i]);
    else if (p !== segs[i]) return null;
  }
  return pattern.length === segs.length ? params : null;
}
