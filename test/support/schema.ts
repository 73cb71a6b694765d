// Contract checks: response bodies against the Engine API swagger
// (docker-engine-api-v1.51.yaml). Generic, so any test can say
//   assertMatchesSchema(body, '#/definitions/ImageInspect')
//   assertMatchesResponse(body, 'get', '/containers/{id}/json')
import { AssertionError } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './daemon.js';

const SPEC_NAME = 'docker-engine-api-v1.51.yaml';

/** Where the swagger lives: $BERTH_API_SPEC, shared/ beside the checkout, or inside it. */
export function findSpec(): string {
  const candidates = [
    process.env.BERTH_API_SPEC,
    path.join(ROOT, '../shared/specs', SPEC_NAME),
    path.join(ROOT, 'shared/specs', SPEC_NAME),
    path.join(ROOT, 'specs', SPEC_NAME),
    path.join('/work/shared/specs', SPEC_NAME),
  ].filter((p): p is string => !!p);
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(
    `cannot find ${SPEC_NAME}; looked in:\n  ${candidates.join('\n  ')}\nset BERTH_API_SPEC to its path`,
  );
}

export type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  allOf?: Schema[];
  'x-nullable'?: boolean;
};

let spec: { definitions: Record<string, Schema>; paths: Record<string, any> } | undefined;
export function loadSpec(): NonNullable<typeof spec> {
  spec ??= parse(readFileSync(findSpec(), 'utf8'), { maxAliasCount: -1 }) as NonNullable<typeof spec>;
  return spec;
}

export interface CheckOptions {
  /**
   * Properties the swagger does not declare are reported unless this is
   * true (or lists the allowed names). Strict by default: it catches typos.
   */
  allowExtra?: boolean | string[];
  /** Skip `enum` checks (the swagger's enums are sometimes incomplete). */
  ignoreEnums?: boolean;
  /** Reject null for optional scalars too (by default only required ones must not be null). */
  strictNull?: boolean;
}

function resolve(ref: string): Schema {
  const name = ref.replace(/^#\/definitions\//, '');
  const s = loadSpec().definitions[name];
  if (!s) throw new Error(`no such definition in the swagger: ${ref}`);
  return s;
}

/** All problems of `value` against `schema`, as "path: problem" lines. */
export function schemaErrors(value: unknown, schema: Schema | string, opts: CheckOptions = {}): string[] {
  const errors: string[] = [];
  check(value, typeof schema === 'string' ? { $ref: schema } : schema, '$', errors, opts);
  return errors;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function check(
  value: unknown,
  schema: Schema,
  at: string,
  errors: string[],
  opts: CheckOptions,
  required = true,
): void {
  if (schema.$ref)
    return check(value, { ...resolve(schema.$ref), ...withoutRef(schema) }, at, errors, opts, required);
  if (schema.allOf) {
    // Merge the parts so properties declared in any part count as known.
    const merged: Schema = {
      ...schema,
      allOf: undefined,
      properties: { ...schema.properties },
      required: [...(schema.required ?? [])],
    };
    for (const part of schema.allOf) {
      const p = part.$ref ? resolve(part.$ref) : part;
      const flat = p.allOf ? flatten(p) : p;
      Object.assign(merged.properties!, flat.properties);
      merged.required!.push(...(flat.required ?? []));
      merged.type ??= flat.type;
      if (flat.additionalProperties !== undefined) merged.additionalProperties ??= flat.additionalProperties;
    }
    return check(value, merged, at, errors, opts, required);
  }
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  if (value === null) {
    // Go encodes nil maps, slices and pointers as null, so Docker sends null
    // for objects, arrays and optional scalars (*int64 MemorySwappiness, a
    // running exec's ExitCode) that the swagger does not mark x-nullable.
    const scalar = type !== undefined && type !== 'object' && type !== 'array';
    if (scalar && !schema['x-nullable'] && (required || opts.strictNull))
      errors.push(`${at}: is null, expected ${type}`);
    return;
  }
  const actual = typeOf(value);
  if (type !== undefined && !(actual === type || (type === 'number' && actual === 'integer'))) {
    errors.push(`${at}: expected ${type}, got ${actual} (${JSON.stringify(value)?.slice(0, 60)})`);
    return;
  }
  if (schema.enum && !opts.ignoreEnums && !schema.enum.includes(value))
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (type === 'string' && schema.format === 'date-time' && Number.isNaN(Date.parse(value as string)))
    errors.push(`${at}: ${JSON.stringify(value)} is not a date-time`);
  if (type === 'integer' && /^uint/.test(schema.format ?? '') && (value as number) < 0)
    errors.push(`${at}: ${String(value)} is negative, expected ${schema.format}`);

  if (actual === 'array' && schema.items)
    (value as unknown[]).forEach((item, i) => check(item, schema.items!, `${at}[${i}]`, errors, opts));

  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const name of schema.required ?? [])
      if (obj[name] === undefined) errors.push(`${at}: missing required property ${name}`);
    const props = schema.properties ?? {};
    for (const [key, v] of Object.entries(obj)) {
      const where = `${at}.${key}`;
      const isRequired = schema.required?.includes(key) ?? false;
      if (props[key]) check(v, props[key], where, errors, opts, isRequired);
      else if (typeof schema.additionalProperties === 'object')
        check(v, schema.additionalProperties, where, errors, opts, false);
      else if (schema.additionalProperties === true || !schema.properties) continue;
      else if (opts.allowExtra === true || (Array.isArray(opts.allowExtra) && opts.allowExtra.includes(key)))
        continue;
      else errors.push(`${where}: not declared by the swagger`);
    }
  }
}

function withoutRef(s: Schema): Schema {
  const { $ref, ...rest } = s;
  void $ref;
  return rest;
}

function flatten(s: Schema): Schema {
  const out: Schema = { type: s.type, properties: { ...s.properties }, required: [...(s.required ?? [])] };
  for (const part of s.allOf ?? []) {
    const p = part.$ref ? resolve(part.$ref) : part;
    const f = p.allOf ? flatten(p) : p;
    Object.assign(out.properties!, f.properties);
    out.required!.push(...(f.required ?? []));
    out.type ??= f.type;
  }
  return out;
}

/** Throws an AssertionError listing every mismatch of `body` against `ref`. */
export function assertMatchesSchema(body: unknown, ref: string | Schema, opts: CheckOptions = {}): void {
  const errors = schemaErrors(body, ref, opts);
  if (errors.length)
    throw new AssertionError({
      message: `body does not match ${typeof ref === 'string' ? ref : 'schema'}:\n  ${errors.join('\n  ')}`,
      actual: body,
      operator: 'assertMatchesSchema',
    });
}

/** The response schema the swagger gives for `method path` (swagger path, e.g. '/images/{name}/json'). */
export function responseSchema(method: string, apiPath: string, status = 200): Schema {
  const op = loadSpec().paths[apiPath]?.[method.toLowerCase()];
  if (!op) throw new Error(`the swagger has no ${method.toUpperCase()} ${apiPath}`);
  const resp = op.responses?.[status] ?? op.responses?.[String(status)];
  if (!resp?.schema)
    throw new Error(`the swagger gives no ${status} body schema for ${method.toUpperCase()} ${apiPath}`);
  return resp.schema as Schema;
}

export function assertMatchesResponse(
  body: unknown,
  method: string,
  apiPath: string,
  status = 200,
  opts: CheckOptions = {},
): void {
  assertMatchesSchema(body, responseSchema(method, apiPath, status), opts);
}
