// Reads one Compose file into plain data while keeping the parsed document,
// so later errors (schema, references) can name the line and column of the
// key they are about. `!reset` and `!override` tags become markers that the
// merge step understands.
import {
  LineCounter,
  YAMLMap,
  parseDocument,
  isMap,
  isSeq,
  isScalar,
  visit,
  type Document,
  type Node,
  type ScalarTag,
} from 'yaml';
import { ComposeError } from './model.js';

/** A value tagged `!reset`: drop what earlier files set for this key. */
export const RESET = '\u0000!reset';
/** Key of a wrapper around a value tagged `!override`: replace instead of merging. */
export const OVERRIDE = '\u0000!override';

export interface ParsedFile {
  /** Absolute path, or `-` for stdin. */
  path: string;
  data: Record<string, unknown>;
  doc: Document;
  lines: LineCounter;
}

/**
 * go-yaml (and so Compose) reads `0400` as octal, as YAML 1.1 did: file modes
 * of secrets, configs and tmpfs are written that way.
 */
const LEGACY_OCTAL: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^0[0-7]+$/,
  resolve: (s: string) => parseInt(s, 8),
};

export function parseComposeYaml(text: string, path: string): ParsedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    keepSourceTokens: false,
    customTags: (tags) => [LEGACY_OCTAL, ...tags],
  });
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lines.linePos(err.pos[0]);
    const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ComposeError(`failed to parse ${path}: yaml: line ${line}, column ${col}: ${what}`);
  }
  markTags(doc);
  const data = doc.toJS({ maxAliasCount: 10000 }) as unknown;
  if (data === null || data === undefined) return { path, data: {}, doc, lines };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ComposeError(`Top-level object must be a mapping (${path})`);
  }
  return { path, data: data as Record<string, unknown>, doc, lines };
}

function markTags(doc: Document): void {
  visit(doc, {
    Node(_key, node) {
      const tag = (node as Node).tag;
      if (tag === '!reset') {
        return doc.createNode(RESET);
      }
      if (tag === '!override') {
        (node as Node).tag = undefined;
        const wrapper = new YAMLMap<unknown, unknown>();
        wrapper.set(OVERRIDE, node);
        return wrapper;
      }
      return undefined;
    },
  });
}

/** `line:column` of the node at a JSON-pointer-like path, when it exists. */
export function positionOf(file: ParsedFile, path: (string | number)[]): string | undefined {
  let node: unknown = file.doc.contents;
  let keyNode: unknown;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(part),
      );
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node)) {
      keyNode = undefined;
      node = node.items[Number(part)];
    } else {
      break;
    }
  }
  const target = (keyNode ?? node) as { range?: [number, number, number] } | undefined;
  if (!target?.range) return undefined;
  const { line, col } = file.lines.linePos(target.range[0]);
  return `${line}:${col}`;
}
