import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, parseGoDurationDetailed } from '../../src/util/go-duration.js';

describe('parseGoDuration (Go time.ParseDuration)', () => {
  it('parses single units to nanoseconds', () => {
    assert.equal(parseGoDuration('300ns'), 300);
    assert.equal(parseGoDuration('2us'), 2e3);
    assert.equal(parseGoDuration('2µs'), 2e3); // micro sign
    assert.equal(parseGoDuration('2μs'), 2e3); // Greek mu
    assert.equal(parseGoDuration('250ms'), 250e6);
    assert.equal(parseGoDuration('30s'), 30e9);
    assert.equal(parseGoDuration('10m'), 600e9);
    assert.equal(parseGoDuration('2h'), 7200e9);
  });

  it('adds several components and decimal fractions', () => {
    assert.equal(parseGoDuration('1h2m3.5s'), 3723.5e9);
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('1.5h'), 5400e9);
    assert.equal(parseGoDuration('.5s'), 500e6);
    assert.equal(parseGoDuration('1.s'), 1e9);
    assert.equal(parseGoDuration('1h1h'), 7200e9);
  });

  it('handles sign and bare zero', () => {
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('-0'), 0);
    assert.equal(parseGoDuration('+0'), 0);
    assert.equal(parseGoDuration('-0s'), 0);
    assert.ok(Object.is(parseGoDuration('-0s'), 0));
    assert.equal(parseGoDuration('-1m'), -60e9);
    assert.equal(parseGoDuration('+1.5s'), 1.5e9);
  });

  it('rejects what Go rejects', () => {
    for (const bad of ['', '-', '+', '.', '.s', 's', '10', '1x', 'abc', '1h-1m', ' 1s', '1s ', '1e3s', '3000000h'])
      assert.equal(parseGoDuration(bad), undefined, bad);
  });

  it("reports Go's error texts", () => {
    assert.deepEqual(parseGoDurationDetailed('x'), { error: 'time: invalid duration "x"' });
    assert.deepEqual(parseGoDurationDetailed('.'), { error: 'time: invalid duration "."' });
    assert.deepEqual(parseGoDurationDetailed('10'), { error: 'time: missing unit in duration "10"' });
    assert.deepEqual(parseGoDurationDetailed('1m5'), { error: 'time: missing unit in duration "1m5"' });
    assert.deepEqual(parseGoDurationDetailed('5d'), { error: 'time: unknown unit "d" in duration "5d"' });
    assert.deepEqual(parseGoDurationDetailed('5mss'), { error: 'time: unknown unit "mss" in duration "5mss"' });
    assert.deepEqual(parseGoDurationDetailed('90s'), { ns: 90e9 });
  });
});
