// Builder word expansion; expected values checked against dockerd 20.10
// (ENV lines built with DOCKER_BUILDKIT=0 and the resulting Config.Env read back).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expandKeyValues,
  expandWord,
  ExpansionError,
  lookupFromEnv,
  parseKeyValues,
  splitWords,
} from '../../src/build/expand.js';
import { parseDockerfile } from '../../src/build/dockerfile.js';

const env = lookupFromEnv(['a=A', 'empty=', 'sp=x  y', 'PATH=/bin']);
const ex = (w: string, escape = '\\'): string => expandWord(w, env, escape);

describe('expandWord', () => {
  test('plain and braced variables; unset is empty', () => {
    assert.equal(ex('$a'), 'A');
    assert.equal(ex('${a}b'), 'Ab');
    assert.equal(ex('$ab'), '');
    assert.equal(ex('x$nope-y'), 'x-y');
    assert.equal(ex('$PATH:/x'), '/bin:/x');
  });

  test('a lone or trailing $ stays; special parameters and digits expand to nothing (dockerd: $$ → "", $@z → "z")', () => {
    assert.equal(ex('x$'), 'x$');
    assert.equal(ex('$'), '$');
    assert.equal(ex('$$'), '');
    assert.equal(ex('$0'), '');
    assert.equal(ex('$@z'), 'z');
    assert.equal(ex('$12ab'), 'ab');
    assert.equal(ex('$ x'), '$ x');
  });

  test(':- and :+ (empty counts as unset), - and + (only unset counts)', () => {
    assert.equal(ex('${a:-d}'), 'A');
    assert.equal(ex('${nope:-d}'), 'd');
    assert.equal(ex('${empty:-d}'), 'd');
    assert.equal(ex('${a:+yes}'), 'yes');
    assert.equal(ex('${empty:+yes}'), '');
    assert.equal(ex('${nope:+yes}'), '');
    assert.equal(ex('${empty-d}'), '');
    assert.equal(ex('${nope-d}'), 'd');
    assert.equal(ex('${empty+yes}'), 'yes');
    assert.equal(ex('${nope+yes}'), '');
  });

  test('the word of a modifier is itself expanded and may hold quotes', () => {
    assert.equal(ex('${nope:-$a}'), 'A');
    assert.equal(ex('${nope:-${also:-deep}}'), 'deep');
    assert.equal(ex('${nope:-"q w"}'), 'q w');
  });

  test(':? fails with the message (dockerd: "a: is not allowed to be unset")', () => {
    assert.equal(ex('${a:?boom}'), 'A');
    assert.throws(() => ex('${nope:?boom}'), { message: 'failed to process "${nope:?boom}": nope: boom' });
    assert.throws(() => ex('${nope:?}'), {
      message: 'failed to process "${nope:?}": nope: is not allowed to be unset',
    });
  });

  test('quotes: single literal, double expands, escapes as dockerd (h="a\\$b\\x" → a$b\\x, i=a\\$b\\x → a$bx)', () => {
    assert.equal(ex("'$a'"), '$a');
    assert.equal(ex('"$a b"'), 'A b');
    assert.equal(ex('"a\\$b\\x"'), 'a$b\\x');
    assert.equal(ex('a\\$b\\x'), 'a$bx');
    assert.equal(ex("'q\\$'"), 'q\\$');
    assert.equal(ex('"say \\"hi\\""'), 'say "hi"');
    assert.equal(ex("it\\'s"), "it's");
    assert.equal(ex('a\\'), 'a');
  });

  test('backtick escape', () => {
    assert.equal(ex('c:\\dir', '`'), 'c:\\dir');
    assert.equal(ex('`$a', '`'), '$a');
    assert.equal(ex('"``"', '`'), '`');
  });

  test('syntax errors', () => {
    const cases: [string, string][] = [
      ['${}', 'syntax error: bad substitution'],
      ['${:a}', 'syntax error: bad substitution'],
      ['${a', "syntax error: missing '}'"],
      ['${', "syntax error: missing '}'"],
      ['${a:-b', "syntax error: missing '}'"],
      ['${a:=b}', 'unsupported modifier (=) in substitution'],
      ['${a=b}', "missing ':' in substitution"],
      ['"abc', 'unexpected end of statement while looking for matching double-quote'],
      ["'abc", 'unexpected end of statement while looking for matching single-quote'],
    ];
    for (const [word, reason] of cases) {
      assert.throws(
        () => ex(word),
        (e: unknown) =>
          e instanceof ExpansionError && e.message === `failed to process ${JSON.stringify(word)}: ${reason}`,
        word,
      );
    }
  });
});

describe('splitWords', () => {
  test('splits on unquoted whitespace; a variable value splits, quoted text does not', () => {
    assert.deepEqual(splitWords('a  b', env), ['a', 'b']);
    assert.deepEqual(splitWords('$sp z', env), ['x', 'y', 'z']);
    assert.deepEqual(splitWords('"$sp" z', env), ['x  y', 'z']);
    assert.deepEqual(splitWords("'a b'c d\\ e", env), ['a bc', 'd e']);
    assert.deepEqual(splitWords('', env), []);
  });

  test('raw quotes and skipUnset keep the text (heredoc detection)', () => {
    assert.deepEqual(
      splitWords("<<'EOF' $x ${y:-z}", () => undefined, '\\', { rawQuotes: true, skipUnset: true }),
      ["<<'EOF'", '$x', '${y:-z}'],
    );
  });
});

describe('parseKeyValues / expandKeyValues', () => {
  const insts = parseDockerfile(
    'FROM scratch\nENV a=b c="d $a" e\\ f=g\nLABEL x y z\nARG n m=1 "q=a b"\nENV p=$a q=${a}2\n',
  ).stages[0]!.instructions;

  test('ENV/LABEL pairs and ARG with and without defaults (unexpanded)', () => {
    assert.deepEqual(parseKeyValues(insts[0]!), [
      { key: 'a', value: 'b' },
      { key: 'c', value: '"d $a"' },
      { key: 'e\\ f', value: 'g' },
    ]);
    assert.deepEqual(parseKeyValues(insts[1]!), [{ key: 'x', value: 'y z' }]);
    assert.deepEqual(parseKeyValues(insts[2]!), [
      { key: 'n' },
      { key: 'm', value: '1' },
      { key: '"q', value: 'a b"' },
    ]);
  });

  test('expanded against the variables before the instruction', () => {
    assert.deepEqual(expandKeyValues(insts[0]!, lookupFromEnv(['a=old'])), [
      { key: 'a', value: 'b' },
      { key: 'c', value: 'd old' },
      { key: 'e f', value: 'g' },
    ]);
    assert.deepEqual(expandKeyValues(insts[3]!, env), [
      { key: 'p', value: 'A' },
      { key: 'q', value: 'A2' },
    ]);
    // dockerd expands key and value apart, so a quote around both fails the same way.
    assert.throws(() => expandKeyValues(insts[2]!, env), {
      message:
        'failed to process "\\"q": unexpected end of statement while looking for matching double-quote',
    });
  });
});

describe('ENV lines against dockerd 20.10', () => {
  const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  /** Config.Env after `FROM scratch` + the line, computed the way the builder applies ENV. */
  const envAfter = (line: string): string[] => {
    const env = [PATH];
    for (const inst of parseDockerfile(`FROM scratch\n${line}\n`).stages[0]!.instructions) {
      for (const { key, value } of expandKeyValues(inst, lookupFromEnv(env))) {
        const i = env.findIndex((e) => e.split('=')[0] === key);
        if (i >= 0) env.splice(i, 1);
        env.push(`${key}=${value}`);
      }
    }
    return env;
  };
  // Left: the Dockerfile line; right: `docker image inspect -f '{{json .Config.Env}}'` from dockerd.
  const cases: [string, string[]][] = [
    [`ENV a="x\\"y" b='c d' e=f\\ g h=pre$PATH`, ['a=x"y', 'b=c d', 'e=f g', `h=pre${PATH.slice(5)}`]],
    ['ENV a=1 b=${a:-z}', ['a=1', 'b=z']],
    ['ENV q "quoted words" here', ['q=quoted words here']],
    [`ENV w=\\$x v="\\$x" u='\\$x' t=a\\\\b`, ['w=$x', 'v=$x', 'u=\\$x', 't=a\\b']],
    ['ENV k=${UNDEF:-"a b"} l=${PATH:+set} m=${UNDEF:+set}', ['k=a b', 'l=set', 'm=']],
    ['ENV n=$ o=${PATH:+"$PATH"x}', ['n=$', `o=${PATH.slice(5)}x`]],
    [`ENV p=a"b"'c'd`, ['p=abcd']],
  ];
  for (const [line, expected] of cases) {
    test(line, () => assert.deepEqual(envAfter(line), [PATH, ...expected]));
  }
});
