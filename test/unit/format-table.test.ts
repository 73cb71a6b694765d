import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite, formatList, marshalJson } from '../../src/cli/format/table.js';
import { displayJsonStream, progressString, JsonMessageError } from '../../src/cli/format/progress.js';
import { Readable, PassThrough } from 'node:stream';

test('tabwriter alignment: minwidth 10, padding 3, last cell unpadded', () => {
  const out = tabwrite('REPOSITORY\tTAG\tIMAGE ID\tSIZE\nbusybox\tlatest\t0123456789ab\t4.26MB\n');
  assert.equal(
    out,
    'REPOSITORY   TAG       IMAGE ID       SIZE\n' + 'busybox      latest    0123456789ab   4.26MB\n',
  );
  // Lines without tabs break column blocks.
  assert.equal(tabwrite('a\tb\nxx\nlonger-cell\tc\n'), 'a         b\nxx\nlonger-cell   c\n');
  assert.equal(
    tabwrite(' Version:\t1\n API version:\t2\n', { minwidth: 20, padding: 1 }),
    ' Version:           1\n API version:       2\n',
  );
});

class Row {
  constructor(
    readonly Repository: string,
    readonly Tag: string,
  ) {}
  toGoJSON(): string {
    return marshalJson({ Repository: this.Repository, Tag: this.Tag });
  }
}

test('formatList: table header from field names, escapes, json rows', () => {
  const rows = [new Row('busybox', 'latest'), new Row('<none>', '<none>')];
  const headers = { Repository: 'REPOSITORY', Tag: 'TAG' };
  assert.equal(
    formatList(rows, { format: 'table {{.Repository}}\\t{{.Tag}}', headers }),
    'REPOSITORY   TAG\nbusybox      latest\n<none>       <none>\n',
  );
  assert.equal(
    formatList(rows, { format: '{{.Repository}}:{{.Tag}}', headers }),
    'busybox:latest\n<none>:<none>\n',
  );
  assert.equal(
    formatList(rows.slice(1), { format: 'json', headers }),
    '{"Repository":"\\u003cnone\\u003e","Tag":"\\u003cnone\\u003e"}\n',
  );
  assert.equal(formatList([], { format: 'table {{.Tag}}', headers }), 'TAG\n');
});

test('progress rendering: bars on terminals, plain lines otherwise, errors', async () => {
  assert.equal(
    progressString({ current: 500_000, total: 1_000_000 }, 120, 0).startsWith('[=========================>'),
    true,
  );
  assert.equal(progressString({ current: 500_000, total: 1_000_000 }, 80), '   500kB/1MB');
  const msgs = [
    { status: 'Loading layer', id: 'abc', progressDetail: { current: 10, total: 100 } },
    { stream: 'Loaded image: busybox:latest\n' },
  ];
  const collect = async (isTerminal: boolean, lines: object[]): Promise<string> => {
    const out = new PassThrough();
    let s = '';
    out.on('data', (d) => (s += d));
    await displayJsonStream(Readable.from([lines.map((m) => JSON.stringify(m)).join('\n')]), out, {
      isTerminal,
      width: 80,
    });
    return s;
  };
  assert.equal(await collect(false, msgs), 'Loaded image: busybox:latest\n');
  const tty = await collect(true, msgs);
  const esc = '\x1b[';
  assert.ok(
    tty.startsWith(`\n${esc}1A${esc}2K\rabc: Loading layer      10B/100B\r${esc}1BLoaded image`),
    JSON.stringify(tty),
  );
  await assert.rejects(
    collect(false, [{ errorDetail: { message: 'boom' }, error: 'boom' }]),
    JsonMessageError,
  );
});
