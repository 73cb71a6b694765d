import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  parseLogLine,
  parseRfc3339Nano,
  parseUnixTimestamp,
  readLogs,
  type LogRecord,
} from '../../src/runtime/logs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(it: AsyncGenerator<LogRecord>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of it) out.push(`${r.stream}:${r.data.toString()}`);
  return out;
}

const T = (s: number, ns = 0) =>
  `2026-01-01T00:00:${String(s).padStart(2, '0')}.${String(ns).padStart(9, '0')}+00:00`;

describe('k8s-file log parsing', () => {
  it('parses timestamps with nanoseconds and offsets', () => {
    assert.equal(parseRfc3339Nano('1970-01-01T00:00:01.000000002Z'), 1_000_000_002n);
    assert.equal(parseRfc3339Nano('1970-01-01T01:00:01.5+01:00'), 1_500_000_000n);
    assert.equal(parseRfc3339Nano('garbage'), undefined);
    assert.equal(parseUnixTimestamp('10.25'), 10_250_000_000n);
    assert.equal(parseUnixTimestamp('7'), 7_000_000_000n);
  });

  it('restores newlines for full lines only and keeps spaces in the text', () => {
    const f = parseLogLine(Buffer.from(`${T(1)} stdout F hello  world `))!;
    assert.equal(f.data.toString(), 'hello  world \n');
    assert.equal(f.partial, false);
    const p = parseLogLine(Buffer.from(`${T(1)} stderr P abc`))!;
    assert.equal(p.stream, 'stderr');
    assert.equal(p.data.toString(), 'abc');
    assert.equal(parseLogLine(Buffer.from(`${T(1)} stdout F`))!.data.toString(), '\n');
    assert.equal(parseLogLine(Buffer.from('not a log line')), undefined);
  });

  it('reads rotated generations oldest first, with tail, since, until and stream filters', async () => {
    const log = path.join(dir, 'a.log');
    writeFileSync(`${log}.2`, `${T(1)} stdout F one\n`);
    writeFileSync(`${log}.1`, `${T(2)} stderr F two\n`);
    writeFileSync(log, `${T(3)} stdout P thr\n${T(3, 5)} stdout F ee\n${T(4)} stderr F four\n`);
    assert.deepEqual(await collect(readLogs(log)), [
      'stdout:one\n',
      'stderr:two\n',
      'stdout:thr',
      'stdout:ee\n',
      'stderr:four\n',
    ]);
    assert.deepEqual(await collect(readLogs(log, { tail: 2 })), ['stdout:ee\n', 'stderr:four\n']);
    assert.deepEqual(await collect(readLogs(log, { tail: 0 })), []);
    assert.deepEqual(await collect(readLogs(log, { stderr: false })), [
      'stdout:one\n',
      'stdout:thr',
      'stdout:ee\n',
    ]);
    const base = parseRfc3339Nano(T(0))!;
    assert.deepEqual(
      await collect(readLogs(log, { sinceNs: base + 2_000_000_000n, untilNs: base + 3_000_000_000n })),
      ['stderr:two\n', 'stdout:thr'],
    );
  });

  it('follows appends, survives replacement of the file, and stops when told', async () => {
    const log = path.join(dir, 'b.log');
    writeFileSync(log, `${T(1)} stdout F first\n`);
    let stop!: () => void;
    const stopWhen = new Promise<void>((r) => (stop = r));
    const seen: string[] = [];
    const done = (async () => {
      for await (const r of readLogs(log, { follow: true, stopWhen })) seen.push(r.data.toString());
    })();
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(log, `${T(2)} stdout F sec`);
    appendFileSync(log, `ond\n`);
    await new Promise((r) => setTimeout(r, 400));
    // conmon's --log-size-max starts a new file and renames it over the old one.
    writeFileSync(`${log}.tmp`, `${T(3)} stderr F third\n`);
    renameSync(`${log}.tmp`, log);
    await new Promise((r) => setTimeout(r, 400));
    stop();
    await done;
    assert.deepEqual(seen, ['first\n', 'second\n', 'third\n']);
  });

  it('stops following on abort', async () => {
    const log = path.join(dir, 'c.log');
    writeFileSync(log, '');
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 100);
    assert.deepEqual(await collect(readLogs(log, { follow: true, signal: ac.signal })), []);
    assert.ok(Date.now() - t0 < 2000);
  });
});
