import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  humanSize,
  bytesSize,
  humanDuration,
  timeAgo,
  containerStatus,
  truncateId,
  toApiTimestamp,
  rfc3339NanoFixed,
  parseGoDuration,
} from '../../src/cli/format/units.js';
import { goG } from '../../src/cli/format/goprint.js';

test('sizes like go-units', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(4_261_550), '4.26MB');
  assert.equal(humanSize(1_200_000_000), '1.2GB');
  assert.equal(humanSize(77_800_000), '77.8MB');
  assert.equal(humanSize(999_900), '1e+03kB'); // Go's %.3g rounds into exponent form
  assert.equal(humanSize(4_261_550, 4), '4.262MB');
  assert.equal(bytesSize(25_276_026_880), '23.54GiB');
  assert.equal(goG(1234.5, 3), '1.23e+03');
  assert.equal(goG(0.0001234, 3), '0.000123');
});

test('durations like go-units HumanDuration', () => {
  assert.equal(humanDuration(400), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(59_000), '59 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(119_000), 'About a minute');
  assert.equal(humanDuration(120_000), '2 minutes');
  assert.equal(humanDuration(59 * 60_000), '59 minutes');
  assert.equal(humanDuration(89 * 60_000), 'About an hour');
  assert.equal(humanDuration(91 * 60_000), '2 hours');
  assert.equal(humanDuration(47 * 3_600_000), '47 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
  assert.equal(humanDuration(15 * 86_400_000), '2 weeks');
  assert.equal(humanDuration(70 * 86_400_000), '2 months');
  assert.equal(humanDuration(800 * 86_400_000), '2 years');
  assert.equal(timeAgo(new Date(1_000_000), 1_000_000 + 150_000), '2 minutes ago');
});

test('container status strings like moby State.String', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  assert.equal(containerStatus({ Running: true, StartedAt: '2026-01-01T00:09:57Z' }, now), 'Up 3 seconds');
  assert.equal(
    containerStatus({ Running: true, Paused: true, StartedAt: '2026-01-01T00:09:57Z' }, now),
    'Up 3 seconds (Paused)',
  );
  assert.equal(
    containerStatus({ Running: true, StartedAt: '2026-01-01T00:00:00Z', Health: { Status: 'healthy' } }, now),
    'Up 10 minutes (healthy)',
  );
  assert.equal(
    containerStatus(
      { Running: true, StartedAt: '2026-01-01T00:09:00Z', Health: { Status: 'starting' } },
      now,
    ),
    'Up About a minute (health: starting)',
  );
  assert.equal(
    containerStatus(
      { ExitCode: 137, StartedAt: '2026-01-01T00:00:00Z', FinishedAt: '2026-01-01T00:08:00Z' },
      now,
    ),
    'Exited (137) 2 minutes ago',
  );
  assert.equal(
    containerStatus({ StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' }, now),
    'Created',
  );
  assert.equal(containerStatus({ Dead: true, StartedAt: '2026-01-01T00:00:00Z' }, now), 'Dead');
});

test('ids, timestamps', () => {
  assert.equal(truncateId('sha256:0123456789abcdef0123'), '0123456789ab');
  assert.equal(truncateId('abc'), 'abc');
  const now = Date.parse('2026-01-01T00:10:00.500Z');
  assert.equal(toApiTimestamp('10m', now), String(Date.parse('2026-01-01T00:00:00Z') / 1000));
  assert.equal(toApiTimestamp('1700000000', now), '1700000000');
  assert.equal(toApiTimestamp('2026-01-01T00:00:00Z', now), '1767225600.000000000');
  assert.equal(toApiTimestamp('2026-01-01T00:00:00.25+01:00', now), '1767222000.250000000');
  assert.throws(() => toApiTimestamp('yesterday', now), /failed to parse value as time or duration/);
  assert.equal(parseGoDuration('1h30m'), 90 * 60_000);
  assert.equal(parseGoDuration('abc'), undefined);
  const z = rfc3339NanoFixed(1767225600123456789n);
  if (new Date().getTimezoneOffset() === 0) assert.equal(z, '2026-01-01T00:00:00.123456789Z');
});
