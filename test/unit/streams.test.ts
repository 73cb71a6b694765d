// The stdio framing (8-byte headers), its reader, content types by API
// version, and detach-key parsing/watching.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Demultiplexer,
  DetachWatcher,
  demultiplex,
  frame,
  framer,
  parseDetachKeys,
  streamContentType,
  type Frame,
} from '../../src/api/streams.js';

describe('stdio framing', () => {
  it('writes [stream,0,0,0,len32be] headers', () => {
    const f = frame(2, 'hey');
    assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 3]);
    assert.equal(f.subarray(8).toString(), 'hey');
    const big = frame(1, Buffer.alloc(70000, 97));
    assert.equal(big.readUInt32BE(4), 70000);
  });

  it('framer is raw for a TTY and skips empty chunks', () => {
    const out: Buffer[] = [];
    const raw = framer((b) => (out.push(b), true), false);
    raw(1, 'abc');
    raw(2, '');
    assert.deepEqual(out.map(String), ['abc']);
  });

  it('demultiplexes whole buffers and split chunks', async () => {
    const buf = Buffer.concat([frame(1, 'out1\n'), frame(2, 'err\n'), frame(1, 'out2\n')]);
    const whole = demultiplex(buf);
    assert.equal(whole.stdout, 'out1\nout2\n');
    assert.equal(whole.stderr, 'err\n');
    assert.throws(() => demultiplex(buf.subarray(0, buf.length - 1)), /truncated/);

    const d = new Demultiplexer();
    const frames: Frame[] = [];
    d.on('data', (f: Frame) => frames.push(f));
    for (let i = 0; i < buf.length; i += 3) d.write(buf.subarray(i, i + 3));
    d.end();
    await new Promise((r) => d.once('end', r));
    assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[1, 'out1\n'], [2, 'err\n'], [1, 'out2\n']]);
  });

  it('content type: multiplexed from API 1.42 without TTY, raw otherwise', () => {
    assert.equal(streamContentType('1.51', false), 'application/vnd.docker.multiplexed-stream');
    assert.equal(streamContentType('1.41', false), 'application/vnd.docker.raw-stream');
    assert.equal(streamContentType('1.51', true), 'application/vnd.docker.raw-stream');
  });
});

describe('detach keys', () => {
  it('parses ctrl- and single characters like Docker', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...parseDetachKeys('a,ctrl-@,ctrl-[')], [97, 0, 27]);
    assert.throws(() => parseDetachKeys('ctrl-1'), /Unknown character/);
    assert.throws(() => parseDetachKeys('abc'), /Unknown character/);
  });

  it('holds back a partial sequence and releases it when it does not complete', () => {
    const w = new DetachWatcher(parseDetachKeys('ctrl-p,ctrl-q'));
    let r = w.feed(Buffer.from('ab\x10'));
    assert.equal(r.forward.toString(), 'ab');
    assert.equal(r.detached, false);
    r = w.feed(Buffer.from('x'));
    assert.equal(r.forward.toString(), '\x10x');
    r = w.feed(Buffer.from('\x10\x11rest'));
    assert.equal(r.detached, true);
    assert.equal(r.forward.length, 0);
  });
});
