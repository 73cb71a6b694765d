import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDotenv, parseEnvFile } from '../../src/compose/envfile.js';
import { ComposeError } from '../../src/compose/model.js';

test('dotenv: plain, export, comments, quotes, escapes', () => {
  const text = [
    '# a comment',
    '',
    'PLAIN=hello world  ',
    'export EXPORTED=yes',
    'INLINE=value # trailing comment',
    'HASH=a#b',
    "SINGLE='literal $PLAIN \\n'",
    'DOUBLE="line1\\nline2 \\"q\\""',
    'EMPTY=',
    'SPACED = around ',
    'COLON: yaml-ish',
    'QUOTED_HASH="x # not a comment"',
  ].join('\n');
  assert.deepEqual(parseDotenv(text), {
    PLAIN: 'hello world',
    EXPORTED: 'yes',
    INLINE: 'value',
    HASH: 'a#b',
    SINGLE: 'literal $PLAIN \\n',
    DOUBLE: 'line1\nline2 "q"',
    EMPTY: '',
    SPACED: 'around',
    COLON: 'yaml-ish',
    QUOTED_HASH: 'x # not a comment',
  });
});

test('dotenv: multi-line double-quoted values, CRLF', () => {
  const text = 'KEY="first\nsecond\nthird"\r\nNEXT=after\r\n';
  assert.deepEqual(parseDotenv(text), { KEY: 'first\nsecond\nthird', NEXT: 'after' });
});

test('dotenv: interpolation from earlier keys, then the lookup; not inside single quotes', () => {
  const lookup = (k: string) => ({ OUTER: 'out' })[k];
  const text = ['A=alpha', 'B=${A}-$OUTER', 'C="${A:-x}/${MISSING:-def}"', "D='${A}'", 'E=$$A'].join('\n');
  assert.deepEqual(parseDotenv(text, lookup), {
    A: 'alpha',
    B: 'alpha-out',
    C: 'alpha/def',
    D: '${A}',
    E: '$A',
  });
});

test('dotenv: a bare key takes its value from the environment or is skipped', () => {
  const lookup = (k: string) => ({ FROM_ENV: 'env' })[k];
  assert.deepEqual(parseDotenv('FROM_ENV\nNOT_SET\nX=1', lookup), { FROM_ENV: 'env', X: '1' });
});

test('dotenv: bad variable names are refused with the line number', () => {
  assert.throws(
    () => parseDotenv('OK=1\nBAD KEY=2', () => undefined, '/p/.env'),
    (e: unknown) => {
      assert.ok(e instanceof ComposeError);
      assert.match(e.message, /\/p\/\.env: line 2: unexpected character " " in variable name "BAD KEY"/);
      return true;
    },
  );
});

test('env file on disk; a missing one names the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-envfile-'));
  try {
    writeFileSync(join(dir, 'web.env'), 'A=1\nB="two"\n');
    assert.deepEqual(parseEnvFile(join(dir, 'web.env')), { A: '1', B: 'two' });
    assert.throws(
      () => parseEnvFile(join(dir, 'nope.env')),
      new RegExp(`couldn't find env file: ${join(dir, 'nope.env')}`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dotenv: a bad template or a missing required variable names the file and line', () => {
  assert.throws(
    () => parseDotenv('A=1\nB=${', () => undefined, '/p/.env'),
    (e: unknown) => {
      assert.ok(e instanceof ComposeError);
      assert.equal(e.message, 'failed to read /p/.env: line 2: Invalid template: "${"');
      return true;
    },
  );
  assert.throws(
    () => parseDotenv('C="${NEED:?set it}"', () => undefined, '/p/.env'),
    /failed to read \/p\/\.env: line 1: required variable NEED is missing a value: set it/,
  );
});
