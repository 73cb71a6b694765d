// Pure parts of the build executor: Go formatting of history strings, the
// stage graph (target selection, dependencies) and the parallel scheduler.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  goDuration,
  goQuoteList,
  healthcheckHistory,
  parseGoDuration,
} from '../../src/build/image-config.js';
import { planStages, runStages } from '../../src/build/stages.js';
import { parseDockerfile } from '../../src/build/dockerfile.js';
import { cleanSource, destPath, globRegExp } from '../../src/build/copy.js';
import { expandPorts } from '../../src/build/executor-steps.js';

describe('history strings as dockerd 20.10 writes them', () => {
  it('formats durations like Go', () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(5e9), '5s');
    assert.equal(goDuration(90e9), '1m30s');
    assert.equal(goDuration(3600e9), '1h0m0s');
    assert.equal(goDuration(1.5e9), '1.5s');
    assert.equal(goDuration(500e6), '500ms');
    assert.equal(parseGoDuration('1m30s'), 90e9);
    assert.equal(parseGoDuration('bogus'), null);
  });
  it('prints HEALTHCHECK and CMD with %q', () => {
    assert.equal(
      healthcheckHistory({ Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 3 }),
      `&{["CMD-SHELL" "true"] "5s" "0s" "0s" '\\x03'}`,
    );
    assert.equal(goQuoteList(['-c', 'echo "x"']), '["-c" "echo \\"x\\""]');
  });
});

describe('stage graph', () => {
  const df = parseDockerfile(
    'ARG BASE=busybox\nFROM $BASE AS a\nRUN x\nFROM busybox AS b\nFROM busybox AS unused\nFROM a\nCOPY --from=b /x /y\n',
  );
  it('builds only what the target needs', () => {
    const plans = planStages(df, undefined, (w) => w.replace('$BASE', 'busybox'));
    assert.deepEqual(
      plans.map((p) => p.stage.index),
      [0, 1, 3],
    );
    assert.deepEqual(plans[2].deps, [0, 1]);
    assert.equal(plans[2].base.kind, 'stage');
    assert.deepEqual(
      planStages(df, 'b', (w) => w).map((p) => p.stage.index),
      [1],
    );
  });
  it("refuses an unknown target with Docker's message", () => {
    assert.throws(() => planStages(df, 'nope', (w) => w), /failed to reach build target nope in Dockerfile/);
  });
  it('runs independent stages side by side, dependents after', async () => {
    const plans = planStages(df, undefined, (w) => w);
    const log: string[] = [];
    let active = 0;
    let peak = 0;
    await runStages(plans, 2, async (p) => {
      active++;
      peak = Math.max(peak, active);
      log.push(`start ${p.stage.index}`);
      await new Promise((r) => setTimeout(r, 30));
      log.push(`end ${p.stage.index}`);
      active--;
    });
    assert.equal(peak, 2);
    assert.ok(log.indexOf('start 3') > log.indexOf('end 0') && log.indexOf('start 3') > log.indexOf('end 1'));
  });
  it('stops the other stages when one fails', async () => {
    const plans = planStages(df, undefined, (w) => w);
    const started: number[] = [];
    await assert.rejects(
      runStages(plans, 2, async (p) => {
        started.push(p.stage.index);
        if (p.stage.index === 1) throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(!started.includes(3));
  });
});

describe('COPY paths', () => {
  it('cleans sources and refuses paths outside the context', () => {
    assert.equal(cleanSource('./a/b/'), 'a/b');
    assert.equal(cleanSource('/a'), 'a');
    assert.equal(cleanSource('.'), '');
    assert.equal(cleanSource('../x'), null);
    assert.equal(cleanSource('a/../../x'), null);
  });
  it('resolves destinations against WORKDIR and keeps a trailing slash', () => {
    assert.equal(destPath('x', '/w'), '/w/x');
    assert.equal(destPath('x/', '/w'), '/w/x/');
    assert.equal(destPath('.', '/w'), '/w/');
    assert.equal(destPath('/abs', '/w'), '/abs');
  });
  it("matches globs like Go's filepath.Match", () => {
    assert.ok(globRegExp('*.txt').test('a.txt'));
    assert.ok(!globRegExp('*.txt').test('d/a.txt'));
    assert.ok(globRegExp('d/?.t[x]t').test('d/a.txt'));
    assert.ok(!globRegExp('[!a].txt').test('a.txt'));
  });
  it('expands EXPOSE ranges', () => {
    assert.deepEqual(expandPorts(['80', '90-91/udp']), ['80/tcp', '90/udp', '91/udp']);
  });
});
