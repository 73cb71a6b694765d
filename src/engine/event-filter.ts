// Matching events against `/events` filters, with Docker's semantics: values
// of one key are ORed, different keys are ANDed.
import type { Filters } from '../api/query.js';
import { checkFilterKeys } from '../api/query.js';
import type { EngineEvent } from './events.js';

const KEYS = ['type', 'event', 'container', 'image', 'label', 'network', 'volume', 'daemon', 'scope', 'plugin', 'node', 'service', 'secret', 'config'];

export function eventMatcher(filters: Filters): (ev: EngineEvent) => boolean {
  checkFilterKeys(filters, KEYS);
  const any = (key: string, test: (v: string) => boolean): boolean => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(test);
  };
  return (ev) => {
    const attrs = ev.Actor.Attributes;
    const idOrName = (v: string): boolean => ev.Actor.ID === v || ev.Actor.ID.startsWith(v) || attrs.name === v;
    return (
      any('type', (v) => ev.Type === v) &&
      // "exec_start: sh -c …" matches the filter "exec_start".
      any('event', (v) => ev.Action === v || ev.Action.split(':')[0] === v) &&
      any('scope', (v) => v === 'local') &&
      any('container', (v) => ev.Type === 'container' && idOrName(v)) &&
      any('image', (v) => attrs.image === v || (ev.Type === 'image' && (idOrName(v) || ev.Actor.ID === v))) &&
      any('network', (v) => ev.Type === 'network' && idOrName(v)) &&
      any('volume', (v) => ev.Type === 'volume' && idOrName(v)) &&
      any('daemon', (v) => ev.Type === 'daemon' && idOrName(v)) &&
      any('label', (v) => {
        const eq = v.indexOf('=');
        return eq < 0 ? v in attrs : attrs[v.slice(0, eq)] === v.slice(eq + 1);
      })
    );
  };
}

/** "1700000000", "1700000000.5", or an RFC 3339 time → nanoseconds since the epoch. */
export function parseEventTime(v: string | undefined): bigint | undefined {
  if (!v) return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return BigInt(m[1]) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new TypeError(`invalid time ${v}`);
  return BigInt(t) * 1_000_000n;
}

/** The JSON line Docker sends, with the legacy status/id/from for containers and images. */
export function eventJson(ev: EngineEvent): Record<string, unknown> {
  const legacy: Record<string, unknown> = {};
  if (ev.Type === 'container' || ev.Type === 'image') {
    legacy.status = ev.Action;
    legacy.id = ev.Actor.ID;
    if (ev.Actor.Attributes.image) legacy.from = ev.Actor.Attributes.image;
  }
  return { ...legacy, ...ev };
}
