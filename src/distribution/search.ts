// `GET /images/search`: the registry's v1 search endpoint (Docker Hub's
// index.docker.io, or any registry that serves /v1/search), with Docker's
// term parsing, limit range and is-official / is-automated / stars filters.
import { InvalidArgument } from '../api/errors.js';
import type { Filters } from '../api/query.js';
import { DEFAULT_DOMAIN } from '../image/reference.js';
import type { AuthConfig } from './auth.js';
import type { RegistryClient } from './client.js';
import type { Endpoint } from './endpoints.js';

export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export const DOCKER_HUB_SEARCH = 'https://index.docker.io';

/** `localhost:5000/busy` → domain `localhost:5000`, term `busy`; `busy` → docker.io. */
export function splitSearchTerm(term: string): { domain: string; query: string } {
  const i = term.indexOf('/');
  if (i > 0) {
    const first = term.slice(0, i);
    if (/[.:]/.test(first) || first === 'localhost') {
      const domain = first === 'index.docker.io' || first === 'docker.io' ? DEFAULT_DOMAIN : first;
      return { domain, query: term.slice(i + 1) };
    }
  }
  return { domain: DEFAULT_DOMAIN, query: term };
}

/** Where v1 search lives for a domain (Docker Hub's index for docker.io). */
export function searchEndpoints(domain: string, endpoints: Endpoint[]): Endpoint[] {
  if (domain === DEFAULT_DOMAIN)
    return [{ url: DOCKER_HUB_SEARCH, skipVerify: false, mirror: false, host: domain }];
  return endpoints;
}

function boolFilter(filters: Filters, key: string): boolean | undefined {
  const v = filters.get(key);
  if (!v?.length) return undefined;
  const s = v[v.length - 1].toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new InvalidArgument(`invalid filter '${key}=${v[v.length - 1]}'`);
}

export function checkSearchArgs(limit: number | undefined, filters: Filters): void {
  if (limit !== undefined && (limit < 1 || limit > 100))
    throw new InvalidArgument(`limit ${limit} is outside the range of [1, 100]`);
  for (const k of filters.keys())
    if (!['is-official', 'is-automated', 'stars'].includes(k))
      throw new InvalidArgument(`invalid filter '${k}'`);
  for (const s of filters.get('stars') ?? [])
    if (!/^\d+$/.test(s)) throw new InvalidArgument(`invalid filter 'stars=${s}'`);
  boolFilter(filters, 'is-official');
  boolFilter(filters, 'is-automated');
}

export async function search(
  client: RegistryClient,
  query: string,
  limit: number,
  filters: Filters,
  auth?: AuthConfig,
): Promise<SearchResult[]> {
  void auth;
  const qs = new URLSearchParams({ q: query, n: String(limit) });
  const { body } = await client.fetch('GET', `/v1/search?${qs}`);
  const j = JSON.parse(body.toString('utf8')) as { results?: Partial<SearchResult>[] };
  const official = boolFilter(filters, 'is-official');
  const automated = boolFilter(filters, 'is-automated');
  const stars = Math.max(0, ...(filters.get('stars') ?? ['0']).map(Number));
  const out: SearchResult[] = [];
  for (const r of j.results ?? []) {
    const item: SearchResult = {
      name: r.name ?? '',
      description: r.description ?? '',
      star_count: r.star_count ?? 0,
      is_official: r.is_official ?? false,
      is_automated: r.is_automated ?? false,
    };
    if (official !== undefined && item.is_official !== official) continue;
    if (automated !== undefined && item.is_automated !== automated) continue;
    if (item.star_count < stars) continue;
    out.push(item);
  }
  return out.slice(0, limit);
}
