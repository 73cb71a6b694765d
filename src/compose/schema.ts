// Validation of each Compose file against the Compose Specification schema
// (ajv), with Compose's wording (`services.web Additional property imagee is
// not allowed`) and the line and column of the offending key.
import type { ErrorObject } from 'ajv';
import { ComposeError } from './model.js';
import { positionOf, type ParsedFile } from './load-yaml.js';
// ajv's code for the Compose Specification schema, generated ahead of time
// (scripts/gen-compose-schema.mjs): compiling the schema at run time costs 1–2 s.
import { validate as validateCompiled } from './schema-validate.js';

interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const validator = (): ValidateFunction => validateCompiled as ValidateFunction;

export function validateSchema(data: Record<string, unknown>, file: ParsedFile): void {
  const validate = validator();
  if (validate(data)) return;
  const err = pickError(validate.errors ?? [], data);
  if (!err) return;
  const { field, path, message } = describe(err, data);
  const pos = positionOf(file, path);
  const where = pos ? `\n  at ${file.path}:${pos}` : '';
  throw new ComposeError(`validating ${file.path}: ${field} ${message}${where}`);
}

function pointer(p: string): string[] {
  return p === ''
    ? []
    : p
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(data: unknown, path: string[]): unknown {
  let v = data;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/**
 * ajv reports every failed branch of a `oneOf`; Compose reports the one that
 * matters. Prefer the deepest error that is not a oneOf/anyOf summary, and an
 * unknown key over a type mismatch at the same depth.
 */
function pickError(errors: ErrorObject[], data: unknown): ErrorObject | undefined {
  void data;
  const concrete = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  if (concrete.length === 0) return errors[0];
  const depth = (e: ErrorObject) =>
    pointer(e.instancePath).length + (e.keyword === 'additionalProperties' ? 1 : 0);
  const max = Math.max(...concrete.map(depth));
  const deepest = concrete.filter((e) => depth(e) === max);
  return (
    deepest.find((e) => e.keyword === 'additionalProperties') ??
    deepest.find((e) => e.keyword !== 'type') ??
    mergeTypes(deepest)
  );
}

/** Several `type` failures at one place (the branches of a oneOf) become one "must be a X or Y". */
function mergeTypes(errors: ErrorObject[]): ErrorObject {
  const types = [
    ...new Set(
      errors
        .filter((e) => e.keyword === 'type')
        .flatMap((e) => String((e.params as { type: string | string[] }).type).split(',')),
    ),
  ];
  return { ...errors[0]!, params: { type: types } };
}

function humanType(t: string): string {
  if (t === 'object') return 'mapping';
  if (t === 'array') return 'list';
  return t;
}

function field(path: string[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

function describe(err: ErrorObject, data: unknown): { field: string; path: string[]; message: string } {
  const path = pointer(err.instancePath);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      return {
        field: field(path),
        path: [...path, extra],
        message: `Additional property ${extra} is not allowed`,
      };
    }
    case 'type': {
      const types = (Array.isArray(params.type) ? params.type : String(params.type).split(',')).map(
        humanType,
      );
      const list = types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : types[0];
      return { field: field(path), path, message: `must be a ${list}` };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { field: field(path), path, message: `must be one of the following: ${allowed}` };
    }
    case 'required':
      return { field: field(path), path, message: `${String(params.missingProperty)} is required` };
    case 'uniqueItems': {
      const arr = valueAt(data, path) as unknown[];
      const dup = arr?.[Number(params.j)];
      return {
        field: field(path),
        path,
        message: `contains duplicate element: ${typeof dup === 'string' ? dup : JSON.stringify(dup)}`,
      };
    }
    case 'pattern':
      return { field: field(path), path, message: `Does not match pattern '${String(params.pattern)}'` };
    case 'minimum':
    case 'maximum':
      return {
        field: field(path),
        path,
        message: `${err.keyword === 'minimum' ? 'Must be greater than or equal to' : 'Must be less than or equal to'} ${String(params.limit)}`,
      };
    default:
      return { field: field(path), path, message: err.message ?? 'is invalid' };
  }
}
