// Dockerfile parsing as dockerd 20.10's builder does it: the expected
// arguments and messages were taken from a real dockerd (DOCKER_BUILDKIT=0).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../src/build/dockerfile.js';
import { DockerfileSyntaxError, type Instruction } from '../../src/build/types.js';

function only(text: string): Instruction {
  const df = parseDockerfile(`FROM scratch\n${text}`);
  assert.equal(df.stages[0]!.instructions.length, 1);
  return df.stages[0]!.instructions[0]!;
}

function fails(text: string, message: string, line?: number): void {
  assert.throws(
    () => parseDockerfile(text),
    (e: unknown) => {
      assert.ok(e instanceof DockerfileSyntaxError, String(e));
      assert.equal(e.message, message);
      if (line !== undefined) assert.equal(e.line, line);
      return true;
    },
  );
}

describe('Dockerfile structure', () => {
  test('stages, names lower-cased, meta ARGs before FROM', () => {
    const df = parseDockerfile(
      'ARG V=1\nARG B\nFROM busybox:$V as Build\nRUN x\nFROM scratch AS final\nCOPY --from=build /a /b\n',
    );
    assert.equal(df.metaArgs.length, 2);
    assert.deepEqual(df.metaArgs[0]!.args, ['V=1']);
    assert.equal(df.stages.length, 2);
    assert.equal(df.stages[0]!.name, 'build');
    assert.deepEqual(df.stages[0]!.from.args, ['busybox:$V', 'as', 'Build']);
    assert.equal(df.stages[0]!.index, 0);
    assert.equal(df.stages[1]!.name, 'final');
    assert.equal(df.stages[1]!.index, 1);
    const copy = df.stages[1]!.instructions[0]!;
    assert.deepEqual(copy.flags, [{ name: 'from', value: 'build' }]);
    assert.deepEqual(copy.args, ['/a', '/b']);
    assert.equal(copy.line, 6);
  });

  test('unnamed stage has no name; FROM --platform is a flag', () => {
    const df = parseDockerfile('FROM --platform=linux/amd64 busybox\n');
    assert.equal(df.stages[0]!.name, undefined);
    assert.deepEqual(df.stages[0]!.from.flags, [{ name: 'platform', value: 'linux/amd64' }]);
    assert.deepEqual(df.stages[0]!.from.args, ['busybox']);
  });

  test('keywords are case-insensitive; original keeps the text; comments and blank lines are skipped', () => {
    const df = parseDockerfile('# a comment\n\nfrom scratch\n   # indented comment\n  run   echo  hi  \n');
    const run = df.stages[0]!.instructions[0]!;
    assert.equal(run.keyword, 'RUN');
    assert.equal(run.original, 'run   echo  hi');
    assert.deepEqual(run.args, ['echo  hi']);
    assert.equal(run.line, 5);
  });

  test('continuations join lines; comment lines inside are dropped; empty ones warn', () => {
    const df = parseDockerfile('FROM scratch\nENV a=b \\\n# comment\n\n   c=d  \\  \n e=f\nCMD x\n');
    const env = df.stages[0]!.instructions[0]!;
    // Text as dockerd prints it in "Step 2/9 : ENV a=b    c=d   e=f".
    assert.equal(env.original, 'ENV a=b    c=d   e=f');
    assert.deepEqual(env.args, ['a', 'b', 'c', 'd', 'e', 'f']);
    assert.equal(env.line, 2);
    assert.equal(df.stages[0]!.instructions[1]!.line, 7);
    assert.deepEqual(df.warnings, ['[WARNING]: Empty continuation line found in:\n    ENV a=b    c=d   e=f']);
  });

  test('an escaped escape at the end of a line does not continue it (dockerd 20.10)', () => {
    const df = parseDockerfile(
      'FROM scratch\nCMD a b\\\\\nENV x=y\nCMD a \\\\\\\nENV z=1\nRUN a \\\n\\\nb\n',
    );
    const [cmd, env, cmd2, env2, run] = df.stages[0]!.instructions;
    assert.equal(cmd!.original, 'CMD a b\\\\');
    assert.equal(env!.keyword, 'ENV');
    assert.equal(cmd2!.original, 'CMD a \\\\\\');
    assert.equal(env2!.keyword, 'ENV');
    // A line holding only the escape character continues too.
    assert.equal(run!.original, 'RUN a b');
  });

  test('a continuation at the end of the file ends the instruction', () => {
    const df = parseDockerfile('FROM scratch\nRUN echo a \\');
    assert.deepEqual(df.stages[0]!.instructions[0]!.args, ['echo a']);
  });

  test('escape directive: backtick continues lines and escapes in words', () => {
    const df = parseDockerfile(
      '# syntax=docker/dockerfile:1\n# escape=`\nFROM scratch\nENV a=b `\n  c=d\nRUN dir c:\\\n',
    );
    assert.equal(df.escape, '`');
    const [env, run] = df.stages[0]!.instructions;
    assert.equal(env!.original, 'ENV a=b   c=d');
    assert.deepEqual(env!.args, ['a', 'b', 'c', 'd']);
    assert.deepEqual(run!.args, ['dir c:\\']);
  });

  test('directives only count at the very top, before any comment or blank line', () => {
    for (const head of ['# foo=bar\n', '# hello\n', '\n']) {
      const df = parseDockerfile(`${head}# escape=\`\nFROM scratch\n`);
      assert.equal(df.escape, '\\', JSON.stringify(head));
    }
    assert.equal(parseDockerfile('#ESCAPE = ` \nFROM scratch\n').escape, '`');
  });

  test('directive errors', () => {
    fails(
      '# escape=x\nFROM scratch\n',
      "failed to parse Dockerfile: invalid escape token 'x' does not match ` or \\",
    );
    fails(
      '# escape=`\n# escape=`\nFROM scratch\n',
      'failed to parse Dockerfile: only one escape parser directive can be used',
    );
  });

  test('CRLF line endings and a byte-order mark', () => {
    const df = parseDockerfile('\uFEFFFROM scratch\r\nRUN a \\\r\n  b\r\n');
    assert.deepEqual(df.stages[0]!.instructions[0]!.args, ['a   b']);
  });
});

describe('instruction arguments', () => {
  test('exec form: a JSON array of strings; anything after it is ignored as dockerd does', () => {
    const cmd = only('CMD ["a"] trailing');
    assert.equal(cmd.json, true);
    assert.deepEqual(cmd.args, ['a']);
    assert.deepEqual(only('CMD [ "a", "b" ]').args, ['a', 'b']);
    assert.deepEqual(only('ENTRYPOINT ["a\\\\", "b\\tc"]').args, ['a\\', 'b\tc']);
    assert.deepEqual(only('CMD []').args, []);
    assert.equal(only('CMD []').json, true);
  });

  test('shell form when the JSON is invalid', () => {
    const cmd = only('CMD ["a",');
    assert.equal(cmd.json, false);
    assert.deepEqual(cmd.args, ['["a",']);
    assert.deepEqual(only("RUN ['a']").args, ["['a']"]);
  });

  test('a JSON array with a non-string is an error', () => {
    fails(
      'FROM scratch\nCMD [1]\n',
      'failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of strings only',
    );
  });

  test('COPY/ADD/VOLUME: JSON or whitespace words; flags before arguments', () => {
    const copy = only('COPY --chown=1:2 --chmod=644 a  b   /dst/');
    assert.deepEqual(copy.args, ['a', 'b', '/dst/']);
    assert.deepEqual(copy.flags, [
      { name: 'chown', value: '1:2' },
      { name: 'chmod', value: '644' },
    ]);
    assert.deepEqual(only('ADD ["a b", "/c d"]').args, ['a b', '/c d']);
    assert.deepEqual(only('VOLUME /a /b').args, ['/a', '/b']);
    assert.deepEqual(only('VOLUME ["/a"]').args, ['/a']);
  });

  test('flags take quotes and stop at the first non-flag word', () => {
    const run = only(
      'RUN --mount=type=cache,target=/x --mount="type=tmpfs,target=/t" --network=none echo --not-a-flag',
    );
    assert.deepEqual(run.flags, [
      { name: 'mount', value: 'type=cache,target=/x' },
      { name: 'mount', value: 'type=tmpfs,target=/t' },
      { name: 'network', value: 'none' },
    ]);
    assert.deepEqual(run.args, ['echo --not-a-flag']);
  });

  test('ENV and LABEL: key/value pairs, quotes kept for expansion; legacy two-part form', () => {
    assert.deepEqual(only('ENV a=b c="d e" f=g\\ h').args, ['a', 'b', 'c', '"d e"', 'f', 'g\\ h']);
    assert.deepEqual(only('ENV name some value  here').args, ['name', 'some value  here']);
    assert.deepEqual(only('LABEL "a b"="c d" e=f\\ g').args, ['"a b"', '"c d"', 'e', 'f\\ g']);
    assert.deepEqual(only('LABEL x y z').args, ['x', 'y z']);
    assert.deepEqual(only("ENV a='x y'").args, ['a', "'x y'"]);
  });

  test('ARG words; EXPOSE words; USER/WORKDIR/STOPSIGNAL the whole rest', () => {
    assert.deepEqual(only('ARG a=1 b="x y" c').args, ['a=1', 'b="x y"', 'c']);
    assert.deepEqual(only('EXPOSE 80   81/udp').args, ['80', '81/udp']);
    assert.deepEqual(only('USER app:staff').args, ['app:staff']);
    assert.deepEqual(only('WORKDIR /a b').args, ['/a b']);
    assert.deepEqual(only('STOPSIGNAL SIGKILL').args, ['SIGKILL']);
    assert.deepEqual(only('MAINTAINER Jane <j@x>').args, ['Jane <j@x>']);
  });

  test('SHELL must be JSON', () => {
    assert.deepEqual(only('SHELL ["/bin/bash", "-c"]').args, ['/bin/bash', '-c']);
    fails(
      'FROM scratch\nSHELL sh -c\n',
      'dockerfile parse error line 2: SHELL requires the arguments to be in JSON form',
    );
  });

  test('HEALTHCHECK: NONE, CMD shell form, CMD exec form, flags', () => {
    assert.deepEqual(only('HEALTHCHECK NONE').args, ['NONE']);
    const sh = only('HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/ || exit 1');
    assert.deepEqual(sh.args, ['CMD', 'curl -f http://x/ || exit 1']);
    assert.equal(sh.json, false);
    assert.deepEqual(sh.flags, [
      { name: 'interval', value: '5s' },
      { name: 'retries', value: '3' },
    ]);
    const ex = only('HEALTHCHECK CMD ["true", "x"]');
    assert.deepEqual(ex.args, ['CMD', 'true', 'x']);
    assert.equal(ex.json, true);
    // dockerd never looks at the flags of NONE.
    assert.deepEqual(only('HEALTHCHECK --foo=1 NONE').args, ['NONE']);
  });

  test('ONBUILD wraps its trigger; an unknown trigger only fails when it runs', () => {
    const ob = only('ONBUILD   RUN   echo  hi');
    assert.equal(ob.keyword, 'ONBUILD');
    assert.deepEqual(ob.args, ['RUN   echo  hi']);
    assert.equal(ob.onbuild!.keyword, 'RUN');
    assert.deepEqual(ob.onbuild!.args, ['echo  hi']);
    assert.equal(only('ONBUILD FOO x').onbuild!.keyword, 'FOO');
    const copy = only('onbuild copy --from=a x /y');
    assert.deepEqual(copy.onbuild!.flags, [{ name: 'from', value: 'a' }]);
  });

  test('RUN without arguments is accepted', () => {
    assert.deepEqual(only('RUN').args, []);
  });
});

describe('heredocs', () => {
  test('RUN <<EOF body up to the delimiter', () => {
    const df = parseDockerfile('FROM scratch\nRUN <<EOF\necho a\necho $HOME\nEOF\nCMD x\n');
    const run = df.stages[0]!.instructions[0]!;
    assert.deepEqual(run.args, ['<<EOF']);
    assert.deepEqual(run.heredocs, [
      { name: 'EOF', content: 'echo a\necho $HOME\n', chomp: false, expand: true },
    ]);
    const cmd = df.stages[0]!.instructions[1]!;
    assert.equal(cmd.keyword, 'CMD');
    assert.equal(cmd.line, 6);
  });

  test('<<- strips leading tabs; quoted delimiters turn expansion off', () => {
    const df = parseDockerfile(
      'FROM scratch\nRUN <<-\'EOT\' bash\n\tx=1\n\t\techo $x\n\tEOT\nRUN <<"A"\nb\nA\n',
    );
    const [a, b] = df.stages[0]!.instructions;
    assert.deepEqual(a!.heredocs, [{ name: 'EOT', content: 'x=1\necho $x\n', chomp: true, expand: false }]);
    assert.deepEqual(b!.heredocs, [{ name: 'A', content: 'b\n', chomp: false, expand: false }]);
  });

  test('several heredocs on one line, COPY <<file1 <<file2 /dest/', () => {
    const df = parseDockerfile(
      'FROM scratch\nCOPY <<one.txt <<two.txt /dest/\n1\none.txt\n2\ntwo.txt\nRUN cat <<A && cat <<B\na\nA\nb\nB\n',
    );
    const [copy, run] = df.stages[0]!.instructions;
    assert.deepEqual(copy!.args, ['<<one.txt', '<<two.txt', '/dest/']);
    assert.deepEqual(
      copy!.heredocs.map((h) => [h.name, h.content]),
      [
        ['one.txt', '1\n'],
        ['two.txt', '2\n'],
      ],
    );
    assert.deepEqual(
      run!.heredocs.map((h) => [h.name, h.content]),
      [
        ['A', 'a\n'],
        ['B', 'b\n'],
      ],
    );
  });

  test('no heredocs in exec form or other instructions; unterminated is an error', () => {
    assert.deepEqual(only('RUN ["cat", "<<EOF"]').heredocs, []);
    assert.deepEqual(only('CMD cat <<EOF').heredocs, []);
    fails('FROM scratch\nRUN <<EOF\nx\n', 'failed to parse Dockerfile: unterminated heredoc', 2);
  });
});

describe('errors with dockerd 20.10 text', () => {
  const cases: [string, string, number][] = [
    ['FROM scratch\nRUN x\nFOO bar\n', 'dockerfile parse error line 3: unknown instruction: FOO', 3],
    ['RUN x\n', 'no build stage in current context', 1],
    ['FROM a b\n', 'dockerfile parse error line 1: FROM requires either one or three arguments', 1],
    ['FROM\n', 'dockerfile parse error line 1: FROM requires either one or three arguments', 1],
    [
      'FROM scratch AS 1x\n',
      'dockerfile parse error line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols',
      1,
    ],
    ['FROM --foo=x scratch\n', 'dockerfile parse error line 1: Unknown flag: foo', 1],
    ['FROM scratch\nENV\n', 'dockerfile parse error line 2: ENV requires at least one argument', 2],
    ['FROM scratch\nENV =x\n', 'dockerfile parse error line 2: ENV names can not be blank', 2],
    ['FROM scratch\nENV a\n', 'failed to parse Dockerfile: ENV must have two arguments', 2],
    [
      'FROM scratch\nENV a=b c\n',
      'failed to parse Dockerfile: Syntax error - can\'t find = in "c". Must be of the form: name=value',
      2,
    ],
    ['FROM scratch\nLABEL\n', 'dockerfile parse error line 2: LABEL requires at least one argument', 2],
    ['FROM scratch\nLABEL a\n', 'failed to parse Dockerfile: LABEL must have two arguments', 2],
    ['FROM scratch\nENV --foo=bar a=b\n', 'dockerfile parse error line 2: Unknown flag: foo', 2],
    [
      'FROM scratch\nCOPY a\n',
      'dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined',
      2,
    ],
    ['FROM scratch\nCOPY --from a b\n', 'dockerfile parse error line 2: Missing a value on flag: from', 2],
    [
      'FROM scratch\nCOPY --chown=1 --chown=2 a b\n',
      'dockerfile parse error line 2: Duplicate flag specified: chown',
      2,
    ],
    [
      'FROM scratch\nONBUILD ONBUILD RUN x\n',
      "dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
      2,
    ],
    [
      'FROM scratch\nONBUILD FROM x\n',
      "dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger",
      2,
    ],
    [
      'FROM scratch\nONBUILD MAINTAINER x\n',
      "dockerfile parse error line 2: MAINTAINER isn't allowed as an ONBUILD trigger",
      2,
    ],
    ['FROM scratch\nONBUILD\n', 'dockerfile parse error line 2: ONBUILD requires at least one argument', 2],
    [
      'FROM scratch\nHEALTHCHECK\n',
      'dockerfile parse error line 2: HEALTHCHECK requires at least one argument',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK NONE x\n',
      'dockerfile parse error line 2: HEALTHCHECK NONE takes no arguments',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK FOO x\n',
      'dockerfile parse error line 2: Unknown type "FOO" in HEALTHCHECK (try CMD)',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK CMD\n',
      'dockerfile parse error line 2: Missing command after HEALTHCHECK CMD',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK --interval=3 CMD x\n',
      'dockerfile parse error line 2: time: missing unit in duration "3"',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK --interval=0s CMD x\n',
      'dockerfile parse error line 2: Interval "interval" cannot be less than 1ms',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK --interval=1x CMD x\n',
      'dockerfile parse error line 2: time: unknown unit "x" in duration "1x"',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK --timeout=x CMD x\n',
      'dockerfile parse error line 2: time: invalid duration "x"',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK --retries=0 CMD x\n',
      'dockerfile parse error line 2: --retries must be at least 1 (not 0)',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK --retries=x CMD x\n',
      'dockerfile parse error line 2: strconv.ParseInt: parsing "x": invalid syntax',
      2,
    ],
    [
      'FROM scratch\nHEALTHCHECK --interval CMD x\n',
      'dockerfile parse error line 2: Missing a value on flag: interval',
      2,
    ],
    ['FROM scratch\nEXPOSE\n', 'dockerfile parse error line 2: EXPOSE requires at least one argument', 2],
    ['FROM scratch\nUSER\n', 'dockerfile parse error line 2: USER requires exactly one argument', 2],
    ['FROM scratch\nWORKDIR\n', 'dockerfile parse error line 2: WORKDIR requires exactly one argument', 2],
    [
      'FROM scratch\nSTOPSIGNAL\n',
      'dockerfile parse error line 2: STOPSIGNAL requires exactly one argument',
      2,
    ],
    [
      'FROM scratch\nMAINTAINER\n',
      'dockerfile parse error line 2: MAINTAINER requires exactly one argument',
      2,
    ],
    ['FROM scratch\nVOLUME\n', 'dockerfile parse error line 2: VOLUME requires at least one argument', 2],
    [
      'FROM scratch\nVOLUME [""]\n',
      'dockerfile parse error line 2: VOLUME specified can not be an empty string',
      2,
    ],
    ['FROM scratch\nARG\n', 'dockerfile parse error line 2: ARG requires at least one argument', 2],
    ['FROM scratch\nARG =x\n', 'dockerfile parse error line 2: ARG names can not be blank', 2],
    ['FROM scratch\nSHELL []\n', 'dockerfile parse error line 2: SHELL requires at least one argument', 2],
    ['FROM scratch\nCMD x\nRUN \\\n  --foo=1 x\n', 'dockerfile parse error line 3: Unknown flag: foo', 3],
    ['# just a comment\n', 'failed to parse Dockerfile: file with no instructions', 1],
    ['', 'failed to parse Dockerfile: file with no instructions', 1],
    ['ARG a=1\n', 'no build stage in current context', 1],
  ];
  for (const [text, message, line] of cases) {
    test(message, () => fails(text, message, line));
  }
});
