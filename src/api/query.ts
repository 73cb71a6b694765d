// Query-string parsing with Docker's conventions for booleans, numbers and
// the JSON `filters` argument.
import { InvalidArgument } from './errors.js';

export type Filters = Map<string, string[]>;

export class Query {
  constructor(private readonly params: URLSearchParams) {}

  has(name: string): boolean {
    return this.params.has(name);
  }

  string(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.params.getAll(name);
  }

  /** Docker's BoolValue: anything but "", "0", "no", "false", "none" is true. */
  bool(name: string, dflt = false): boolean {
    const v = this.params.get(name);
    if (v === null) return dflt;
    return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
  }

  int(name: string, dflt?: number): number | undefined {
    const v = this.params.get(name);
    if (v === null || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgument(`invalid value for ${name}: ${v}`);
    return n;
  }

  /** `filters={"label":["a=b"]}`; the legacy `{"label":{"a=b":true}}` form too. */
  filters(name = 'filters'): Filters {
    return parseFilters(this.params.get(name));
  }

  /** A JSON-encoded object argument such as `buildargs` or `labels`. */
  jsonObject<T>(name: string): T | undefined {
    const v = this.params.get(name);
    if (!v) return undefined;
    try {
      return JSON.parse(v) as T;
    } catch {
      throw new InvalidArgument(`invalid JSON in ${name}: ${v}`);
    }
  }
}

export function parseFilters(raw: string | null | undefined): Filters {
  const out: Filters = new Map();
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgument('invalid filter: ' + raw);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgument('invalid filter: ' + raw);
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(value)) out.set(key, value.map(String));
    else if (value && typeof value === 'object') out.set(key, Object.keys(value));
    else throw new InvalidArgument(`invalid filter '${key}'`);
  }
  return out;
}

/** Rejects filter keys a list does not know, with Docker's message. */
export function checkFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const key of filters.keys())
    if (!allowed.includes(key)) throw new InvalidArgument(`invalid filter '${key}'`);
}
