// The progress renderer against bytes the docker CLI v28 wrote to a terminal
// for the same `POST /images/load` stream (captured from dockerd 20.10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { displayJsonStream } from '../../src/cli/format/progress.js';

const STREAM = [
  '{"status":"Loading layer","progressDetail":{"current":32768,"total":2140160},"progress":"[\\u003e                                                  ]  32.77kB/2.14MB","id":"91ff83bf7045"}',
  '{"status":"Loading layer","progressDetail":{"current":163840,"total":2140160},"progress":"[===\\u003e                                               ]  163.8kB/2.14MB","id":"91ff83bf7045"}',
  '{"status":"Loading layer","progressDetail":{"current":2140160,"total":2140160},"progress":"[==================================================\\u003e]   2.14MB/2.14MB","id":"91ff83bf7045"}',
  '{"stream":"Loaded image: busybox:latest\\n"}',
].join('\n');

async function render(isTerminal: boolean, width: number): Promise<string> {
  const out = new PassThrough();
  let s = '';
  out.on('data', (d) => (s += d));
  await displayJsonStream(Readable.from([STREAM]), out, { isTerminal, width });
  return s;
}

const E = '\x1b[';
const line = (text: string): string => `${E}1A${E}2K\r91ff83bf7045: Loading layer ${text}\r${E}1B`;

test('80 columns: counts only, redrawn in place', async () => {
  assert.equal(
    await render(true, 80),
    '\n' +
      line(' 32.77kB/2.14MB') +
      line(' 163.8kB/2.14MB') +
      line('  2.14MB/2.14MB') +
      'Loaded image: busybox:latest\n',
  );
});

test('120 columns: progress bars', async () => {
  assert.equal(
    await render(true, 120),
    '\n' +
      line(`[>${' '.repeat(50)}]  32.77kB/2.14MB`) +
      line(`[===>${' '.repeat(47)}]  163.8kB/2.14MB`) +
      line(`[${'='.repeat(50)}>]   2.14MB/2.14MB`) +
      'Loaded image: busybox:latest\n',
  );
});

test('not a terminal: progress dropped, streams kept', async () => {
  assert.equal(await render(false, 200), 'Loaded image: busybox:latest\n');
});
