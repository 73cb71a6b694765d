// .dockerignore matching as the docker CLI does it (moby/patternmatcher and
// ignorefile); cases follow their documented behaviour and test tables.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  contextFilesToDrop,
  DockerignoreMatcher,
  keepBuildFiles,
  readDockerignore,
} from '../../src/build/dockerignore.js';

const m = (...patterns: string[]): DockerignoreMatcher => new DockerignoreMatcher(patterns);

describe('readDockerignore', () => {
  test('comments, blank lines, whitespace, leading / and ./, trailing /, CRLF', () => {
    assert.deepEqual(
      readDockerignore('# c\n\n  node_modules/ \r\n/abs\n./rel/x/../y\n! keep.txt\n  # not a comment\n'),
      ['node_modules', 'abs', 'rel/y', '!keep.txt', '# not a comment'],
    );
  });
  test('a byte-order mark is dropped; "/" stays "/"', () => {
    assert.deepEqual(readDockerignore('\uFEFF*.log\n/\n'), ['*.log', '/']);
  });
});

describe('matching', () => {
  test('globs: * and ? stay inside one path element', () => {
    assert.equal(m('*.go').isExcluded('main.go'), true);
    assert.equal(m('*.go').isExcluded('pkg/main.go'), false);
    assert.equal(m('*/*.go').isExcluded('pkg/main.go'), true);
    assert.equal(m('a?c').isExcluded('abc'), true);
    assert.equal(m('a?c').isExcluded('a/c'), false);
    assert.equal(m('[a-c]x').isExcluded('bx'), true);
    assert.equal(m('[a-c]x').isExcluded('dx'), false);
  });

  test('a pattern excludes a directory and everything below it', () => {
    const d = m('docs');
    assert.equal(d.isExcluded('docs'), true);
    assert.equal(d.isExcluded('docs/a/b.md'), true);
    assert.equal(d.isExcluded('docsx'), false);
    assert.equal(m('*/tmp').isExcluded('a/tmp/x/y'), true);
  });

  test('** matches any number of directories', () => {
    assert.equal(m('**/*.log').isExcluded('a.log'), true);
    assert.equal(m('**/*.log').isExcluded('x/y/a.log'), true);
    assert.equal(m('**/node_modules').isExcluded('node_modules'), true);
    assert.equal(m('**/node_modules').isExcluded('a/b/node_modules/c'), true);
    assert.equal(m('a/**/z').isExcluded('a/z'), true);
    assert.equal(m('a/**/z').isExcluded('a/b/c/z'), true);
    assert.equal(m('a/**').isExcluded('a/b/c'), true);
    assert.equal(m('a/**').isExcluded('ab'), false);
    assert.equal(m('**').isExcluded('anything/at/all'), true);
  });

  test('! exceptions, last match wins', () => {
    const p = m('*.md', '!README.md');
    assert.equal(p.isExcluded('README.md'), false);
    assert.equal(p.isExcluded('CHANGES.md'), true);
    const q = m('*.md', '!README*.md', 'README-secret.md');
    assert.equal(q.isExcluded('README.md'), false);
    assert.equal(q.isExcluded('README-secret.md'), true);
    const r = m('!README.md', '*.md');
    assert.equal(r.isExcluded('README.md'), true);
  });

  test('an exception can re-include a file inside an excluded directory', () => {
    const p = m('dir', '!dir/keep.txt');
    assert.equal(p.isExcluded('dir'), true);
    assert.equal(p.isExcluded('dir/keep.txt'), false);
    assert.equal(p.isExcluded('dir/other.txt'), true);
    assert.equal(p.mustDescend('dir'), true);
    assert.equal(p.mustDescend('other'), false);
    // The CLI only looks for exceptions that start with the directory's path.
    assert.equal(m('*', '!**/keep.txt').mustDescend('dir'), false);
    assert.equal(m('docs').hasExclusions, false);
  });

  test('regexp characters are literal; escapes', () => {
    assert.equal(m('a.b').isExcluded('axb'), false);
    assert.equal(m('a.b').isExcluded('a.b'), true);
    assert.equal(m('a+(b)').isExcluded('a+(b)'), true);
    assert.equal(m('\\*x').isExcluded('*x'), true);
    assert.equal(m('\\*x').isExcluded('ax'), false);
  });

  test('bad patterns are errors', () => {
    assert.throws(() => m('!'), { message: 'illegal exclusion pattern: "!"' });
    assert.throws(() => m('[a'), { message: 'syntax error in pattern' });
    assert.throws(() => m('a\\'), { message: 'syntax error in pattern' });
  });

  test('the context root itself is never excluded', () => {
    assert.equal(m('*').isExcluded('.'), false);
  });
});

describe('keepBuildFiles', () => {
  test('.dockerignore and the Dockerfile are re-included when ignored', () => {
    assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile', false), ['*', '!.dockerignore', '!Dockerfile']);
    assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile', true), ['*', '!.dockerignore']);
    assert.deepEqual(keepBuildFiles(['*.log'], 'sub/Dockerfile', false), ['*.log']);
    assert.deepEqual(keepBuildFiles(['sub'], 'sub/Dockerfile', false), ['sub', '!sub/Dockerfile']);
  });
});

describe('contextFilesToDrop (dockerd side)', () => {
  test('the build files matched by .dockerignore are dropped after the Dockerfile is read (checked on dockerd 20.10)', () => {
    assert.deepEqual(contextFilesToDrop(undefined, 'Dockerfile'), []);
    assert.deepEqual(contextFilesToDrop('*.md\n', 'Dockerfile'), []);
    assert.deepEqual(contextFilesToDrop('Dockerfile\n.dockerignore\n', 'Dockerfile'), [
      '.dockerignore',
      'Dockerfile',
    ]);
    assert.deepEqual(contextFilesToDrop('Dock*\n', 'Dockerfile'), ['Dockerfile']);
    // What the CLI writes when the Dockerfile comes from stdin or outside the context.
    assert.deepEqual(
      contextFilesToDrop(
        '.dockerignore\n.dockerfile.0123456789abcdef0123\n',
        '.dockerfile.0123456789abcdef0123',
      ),
      ['.dockerignore', '.dockerfile.0123456789abcdef0123'],
    );
  });
});
