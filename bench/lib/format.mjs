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

/** One row per scenario result, as array of strings in HEAD order. */
export function rowCells(r) {
  return [
    r.title,
    cell(r.dockerd, r.unit),
    cell(r.berthd, r.unit),
    ratioCell(r.ratio),
    r.verdict ?? '',
    r.berthCli ? cell(r.berthCli, r.unit) : '',
    r.floor ? cell(r.floor, r.unit) : '',
  ];
}

const esc = (s) => String(s).replace(/\|/g, '\\|');

export function markdownTable(results) {
  const lines = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of results) lines.push(`| ${rowCells(r).map(esc).join(' | ')} |`);
  return lines.join('\n');
}

/** Fixed-width table for the terminal (columns padded to their widest cell). */
export function textTable(results) {
  const rows = [HEAD, ...results.map(rowCells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
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
    `Machine: ${m.host}, ${m.cpus}× ${m.cpuModel}, ${m.memGiB} GiB RAM, Linux ${m.kernel}, load average at start ${m.loadavg}.`,
    `Engines: ${doc.engines.dockerd}; ${doc.engines.berthd}; runc ${doc.engines.runc}; client ${doc.engines.client}.`,
    '',
    `Method: ${doc.method}`,
    ...(doc.minutes
      ? [
          '',
          `Mode: ${doc.mode}, ${doc.minutes} min from engine start to the last scenario (extras excluded).`,
        ]
      : []),
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
