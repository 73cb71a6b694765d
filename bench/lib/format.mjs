// Pure formatting of results: numbers with units, the Markdown table for
// the results file and README, and a plain-text table for the terminal.

/** 0.0123 → "0.012", 12.3 → "12.3", 1234 → "1234". */
export function num(x) {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** "median (min–max)" of a summary, with the unit. */
export function cell(s, unit) {
  if (!s || s.n === 0) return '–';
  return `${num(s.median)} ${unit} (${num(s.min)}–${num(s.max)})`;
}

export function ratioCell(s) {
  if (!s || s.n === 0) return '–';
  return `${num(s.median)} (${num(s.min)}–${num(s.max)})`;
}

const HEAD = ['scenario', 'dockerd', 'berthd', 'berth/dockerd', 'verdict', 'berth CLI', 'floor'];

/** The row's failures in one short cell: the first error, and how many more there were. */
export function errorCell(r) {
  const errs = r.errors ?? [];
  if (!errs.length) return '';
  // "berthd: docker commit c img → exit 1: Error …" → "berthd: exit 1: Error …": the cause fits.
  const short = errs[0].replace(/^([\w-]+: )?[^→]* → (exit \d+: )/, '$1$2');
  const first = short.length > 70 ? `${short.slice(0, 69)}…` : short;
  return errs.length > 1 ? `${first} (+${errs.length - 1} more)` : first;
}

/** The columns: an `errors` column only when some row failed. */
const headOf = (results) => (results.some((r) => r.errors?.length) ? [...HEAD, 'errors'] : HEAD);

/** One row per scenario result, as array of strings in HEAD order (plus its errors when asked). */
export function rowCells(r, withErrors = false) {
  const cells = [
    r.title,
    cell(r.dockerd, r.unit),
    cell(r.berthd, r.unit),
    ratioCell(r.ratio),
    r.verdict ?? '',
    r.berthCli ? cell(r.berthCli, r.unit) : '',
    r.floor ? cell(r.floor, r.unit) : '',
  ];
  return withErrors ? [...cells, errorCell(r)] : cells;
}

const esc = (s) => String(s).replace(/\|/g, '\\|');

export function markdownTable(results) {
  const head = headOf(results);
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of results)
    lines.push(
      `| ${rowCells(r, head.length > HEAD.length)
        .map(esc)
        .join(' | ')} |`,
    );
  return lines.join('\n');
}

/** Fixed-width table for the terminal (columns padded to their widest cell). */
export function textTable(results) {
  const head = headOf(results);
  const rows = [head, ...results.map((r) => rowCells(r, head.length > HEAD.length))];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** What a --quick run is, said above its table. */
export const QUICK_NOTE =
  'Quick mode is a smoke test: smaller sizes (each title names its size), 2–3 counted runs of the cheap ' +
  'scenarios and 1 counted run without warm-up of the heavy ones; the full mode gives the figures to quote.';

/** "bench took 3.6 min (set-up 12 s, scenarios 190 s, teardown 8 s)" from a results document. */
export function durationLine(doc) {
  const d = doc.durations ?? {};
  const parts = [`set-up ${d.setUp} s`, `scenarios ${d.scenarios} s`, `teardown ${d.teardown} s`];
  if (d.extras) parts.push(`component benchmarks ${d.extras} s`);
  const waited = d.lockWait >= 1 ? `; ${d.lockWait} s waiting for another bench not counted` : '';
  return `${doc.mode} bench took ${doc.minutes} min (${parts.join(', ')}${waited})`;
}

const COLUMN = { dockerd: 'dockerd', berthd: 'berthd', berthCli: 'berth CLI' };

/** "- title: dockerd column = …; berthd column = …" for rows whose columns use other clients. */
export function clientNotes(results) {
  const seen = new Set();
  const out = [];
  for (const r of results) {
    if (!r.clients) continue;
    const text = Object.entries(r.clients)
      .map(([k, v]) => `${COLUMN[k] ?? k} column = ${v}`)
      .join('; ');
    const line = `- ${r.scenario ?? r.title}: ${text}`;
    if (!seen.has(line)) out.push(line);
    seen.add(line);
  }
  return out;
}

/** "- scenario: error" once per scenario and error (the rows of one scenario share their errors). */
export function errorLines(results) {
  const lines = results.flatMap((r) => (r.errors ?? []).map((e) => `- ${r.scenario ?? r.title}: ${e}`));
  return [...new Set(lines)];
}

/** The Markdown report: machine, method, table, skipped scenarios. */
export function markdownReport(doc) {
  const m = doc.machine;
  const out = [
    `# berth vs dockerd — ${doc.date}`,
    '',
    `Machine: ${m.host}, ${m.cpus}× ${m.cpuModel}, ${m.memGiB} GiB RAM, Linux ${m.kernel}, load average at start ${m.loadavg}${m.loadavgEnd ? `, at the end ${m.loadavgEnd}` : ''}.`,
    `Engines: ${doc.engines.dockerd}; ${doc.engines.berthd}; runc ${doc.engines.runc}; client ${doc.engines.client}.`,
    '',
    `Method: ${doc.method}`,
    ...(doc.minutes
      ? ['', `Mode: ${doc.mode}; ${durationLine(doc).replace(/^\w+ bench took/, 'the run took')}.`]
      : []),
    ...(doc.mode === 'quick' ? ['', `**${QUICK_NOTE}**`] : []),
    '',
    markdownTable(doc.results),
    '',
  ];
  const notes = clientNotes(doc.results);
  if (notes.length) out.push('Clients other than the docker CLI / berth CLI:', '', ...notes, '');
  const errors = errorLines(doc.results);
  if (errors.length) out.push('Errors (the failed runs are left out of the cells):', '', ...errors, '');
  if (doc.skipped?.length) {
    out.push('Not measured:', '');
    for (const s of doc.skipped) out.push(`- ${s.title}: ${s.reason}`);
    out.push('');
  }
  if (doc.teardown)
    out.push(
      `Teardown: ${doc.teardown.seconds} s; bench/check-clean.sh: ${doc.teardown.clean ? 'nothing left' : 'leftovers found'}.`,
      ...(doc.teardown.clean ? [] : ['', '```', doc.teardown.output, '```']),
      '',
    );
  if (doc.incidents?.length) {
    out.push('Incidents during the run:', '', ...doc.incidents.map((i) => `- ${i}`), '');
  }
  for (const e of doc.extras ?? []) {
    out.push(
      `## bench/${e.script} — ${e.what}`,
      '',
      `exit ${e.code}, ${e.seconds} s`,
      '',
      '```',
      e.output,
      '```',
      '',
    );
  }
  return out.join('\n');
}
