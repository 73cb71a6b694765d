// Helpers shared by the network and volume commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError } from '../../src/cli/context.js';
import { formatList } from '../../src/cli/format/table.js';
import { deletedList, keyValues, LabeledRow, listFormat } from '../../src/cli/object-commands.js';

test('--opt lists: values may hold =, a bare key is empty, an empty key is refused', () => {
  assert.deepEqual(keyValues(['a=b=c', 'd'], 'opt'), { a: 'b=c', d: '' });
  assert.throws(
    () => keyValues(['=x'], 'label'),
    (e: unknown) =>
      e instanceof CliError && /invalid argument "=x" for "--label" flag: invalid key/.test(e.message),
  );
});

test('ls format: --quiet prints one field unless a format is given', () => {
  assert.equal(listFormat({ quiet: true, format: '' }, 'ID', 'table {{.ID}}'), '{{.ID}}');
  assert.equal(listFormat({ quiet: true, format: '{{.Name}}' }, 'ID', 'table {{.ID}}'), '{{.Name}}');
  assert.equal(listFormat({ quiet: false, format: 'table' }, 'ID', 'table {{.ID}}'), 'table {{.ID}}');
});

test('prune output lists what went, and nothing when nothing did', () => {
  assert.equal(deletedList('Deleted Networks', ['a', 'b']), 'Deleted Networks:\na\nb\n\n');
  assert.equal(deletedList('Deleted Networks', null), '');
});

test('label fields of a row in templates', () => {
  class Row extends LabeledRow {
    get Name(): string {
      return 'n';
    }
  }
  const out = formatList([new Row({ a: '1', b: '2' })], {
    format: '{{.Name}} {{.Labels}} {{.Label "b"}}',
    headers: {},
  });
  assert.equal(out, 'n a=1,b=2 2\n');
});
