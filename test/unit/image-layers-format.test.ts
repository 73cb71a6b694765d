// Chain IDs (OCI image spec), whiteout name mapping, and the change lines of
// `docker import -c`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chainId, chainIds } from '../../src/image/chain.js';
import { applyChanges } from '../../src/image/config.js';
import { parseWhiteout, whiteoutName } from '../../src/image/whiteout.js';

const d = (s: string): string => 'sha256:' + createHash('sha256').update(s).digest('hex');

describe('chain IDs', () => {
  test('the bottom chain ID is the diff ID; each next is sha256(parent + " " + diff)', () => {
    const [a, b, c] = [d('a'), d('b'), d('c')];
    assert.equal(chainId(null, a), a);
    const ab = 'sha256:' + createHash('sha256').update(`${a} ${b}`).digest('hex');
    assert.equal(chainId(a, b), ab);
    const abc = 'sha256:' + createHash('sha256').update(`${ab} ${c}`).digest('hex');
    assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
  });
});

describe('whiteouts', () => {
  test('.wh.<name> removes <name> in the same directory', () => {
    assert.deepEqual(parseWhiteout('etc/.wh.passwd'), { kind: 'file', path: 'etc/passwd' });
    assert.deepEqual(parseWhiteout('.wh.top'), { kind: 'file', path: 'top' });
  });
  test('.wh..wh..opq makes its directory opaque', () => {
    assert.deepEqual(parseWhiteout('var/lib/.wh..wh..opq'), { kind: 'opaque', dir: 'var/lib' });
    assert.deepEqual(parseWhiteout('.wh..wh..opq'), { kind: 'opaque', dir: '' });
  });
  test('ordinary names are not whiteouts', () => {
    assert.equal(parseWhiteout('etc/passwd'), null);
    assert.equal(parseWhiteout('etc/x.wh.y'), null);
    assert.equal(parseWhiteout('a/.wh.'), null);
  });
  test('whiteoutName is the inverse', () => {
    assert.equal(whiteoutName('etc/passwd'), 'etc/.wh.passwd');
    assert.equal(whiteoutName('top'), '.wh.top');
  });
});

describe('import changes', () => {
  test('Dockerfile-like lines set the config', () => {
    const c = applyChanges({}, [
      'CMD ["sh", "-c", "echo hi"]',
      'ENTRYPOINT /bin/run',
      'ENV A=1 B="two words"',
      'ENV C 3',
      'EXPOSE 80 53/udp',
      'WORKDIR /srv',
      'USER nobody',
      'LABEL a=b',
      'VOLUME ["/data"]',
      'STOPSIGNAL SIGINT',
    ]);
    assert.deepEqual(c.Cmd, ['sh', '-c', 'echo hi']);
    assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/bin/run']);
    assert.deepEqual(c.Env, ['A=1', 'B=two words', 'C=3']);
    assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
    assert.equal(c.WorkingDir, '/srv');
    assert.equal(c.User, 'nobody');
    assert.deepEqual(c.Labels, { a: 'b' });
    assert.deepEqual(c.Volumes, { '/data': {} });
    assert.equal(c.StopSignal, 'SIGINT');
  });
  test('unknown instructions are refused like dockerd', () => {
    assert.throws(() => applyChanges({}, ['RUN true']), { message: 'run is not a valid change command' });
  });
});
