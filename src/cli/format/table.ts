// Go's text/tabwriter (the column algorithm docker's tables go through) and
// docker's list formatter: `table …` formats get a header row and aligned
// columns, other formats print one line per item.
import { Template, TemplateError, goJson } from './template.js';

export interface TabOptions {
  minwidth: number;
  padding: number;
}

/** docker's list tables: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
export const TABLE: TabOptions = { minwidth: 10, padding: 3 };

const width = (s: string): number => [...s].length;

/** Aligns tab-terminated cells into columns exactly like Go's tabwriter. */
export function tabwrite(text: string, opts: TabOptions = TABLE): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i];
      let s = '';
      cells.forEach((c, j) => {
        s += c;
        if (j < widths.length && j < cells.length - 1) s += ' '.repeat(Math.max(widths[j] - width(c), 0));
      });
      out.push(s);
    }
  };
  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= lines[row].length - 1) continue;
      // A column block starts here: all following lines with a cell in it.
      writeLines(line0, row);
      line0 = row;
      let w = opts.minwidth;
      for (; row < line1 && column < lines[row].length - 1; row++)
        w = Math.max(w, width(lines[row][column]) + opts.padding);
      widths.push(w);
      format(line0, row);
      widths.pop();
      line0 = row;
      row--; // the for-loop's increment would skip the line that ended the block
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n');
}

/** What docker does to a --format string before parsing it (formatter.Context.preFormat). */
export function preFormat(format: string): { src: string; table: boolean } {
  const table = format.startsWith('table');
  let src = table ? format.slice('table'.length) : format;
  src = src.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return { src, table };
}

/** docker's HeaderFunctions: the header row passes names through. */
const headerFuncs = {
  json: (v: unknown) => v,
  split: (v: unknown) => v,
  join: (v: unknown) => v,
  title: (v: unknown) => v,
  lower: (v: unknown) => v,
  upper: (v: unknown) => v,
  truncate: (v: unknown) => v,
  pad: (v: unknown) => v,
};

/** A row object for list output; `headers` names each field's column. */
export interface ListOptions {
  /** The user's --format (after defaults were applied): "table …", "json" or a template. */
  format: string;
  /** Field → column header, e.g. { ID: 'IMAGE ID' }. */
  headers: Record<string, string>;
}

/**
 * Renders items with a docker format. Items are row contexts (objects whose
 * properties are the template fields); a `toGoJSON()` method decides `{{json .}}`.
 */
export function formatList(items: object[], opts: ListOptions): string {
  const fmt = opts.format === 'json' ? '{{json .}}' : opts.format;
  const { src, table } = preFormat(fmt);
  let rows: string;
  let tmpl: Template;
  try {
    tmpl = new Template(src, { json: jsonOfRow });
    rows = items.map((it) => tmpl.execute(it) + '\n').join('');
  } catch (e) {
    // docker reports parse and execution errors alike, and exits 1.
    throw new TemplateError(`template parsing error: ${(e as Error).message}`);
  }
  if (!table) return rows;
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts.headers)) header[k] = () => v;
  const head = new Template(src, headerFuncs).execute(header);
  return tabwrite(head + '\n' + rows);
}

function jsonOfRow(v: unknown): string {
  if (v && typeof v === 'object' && 'toGoJSON' in v) return (v as { toGoJSON(): string }).toGoJSON();
  return goJson(v);
}

/** json.Marshal escaping (<, >, & as \u003c …), used by row contexts' MarshalJSON. */
export function marshalJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}
