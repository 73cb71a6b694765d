// The config hash Compose v2 stores in `com.docker.compose.config-hash`: a
// sha256 over the service's canonical JSON with the fields that must not
// cause a recreate (build, pull policy, scale, replicas) taken out.
import { createHash } from 'node:crypto';
import type { Service } from './model.js';

/** JSON with object keys sorted, so equal configs hash equally whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
}

export function serviceHash(service: Service): string {
  const copy: Record<string, unknown> = { ...service };
  delete copy.build;
  delete copy.pull_policy;
  delete copy.scale;
  if (service.deploy) copy.deploy = { ...service.deploy, replicas: 1 };
  return createHash('sha256').update(canonicalJson(copy)).digest('hex');
}
