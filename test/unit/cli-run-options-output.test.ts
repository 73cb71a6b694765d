// The pure parts behind the container commands' output and streams: frame
// demultiplexing, detach-key detection, ps columns, stats formulas, port lines.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Demuxer, EscapeDetector, parseDetachKeys } from '../../src/cli/attach.js';
import { ContainerContext, displayablePorts, ellipsis, goQuote } from '../../src/cli/containers-ps.js';
import { liveFrame, memUsageNoCache, statsEntry, StatsContext } from '../../src/cli/containers-stats.js';
import { naturalLess, portLines, indentJson } from '../../src/cli/containers-inspect.js';
import { buildUpdateBody, filtersQuery } from '../../src/cli/containers-lifecycle.js';
import { parseFlags } from '../../src/cli/containers-flags.js';
import { startErrorCode } from '../../src/cli/containers-run.js';
import { LIFECYCLE_SPECS } from '../../src/cli/containers-lifecycle.js';

const frame = (stream: number, text: string): Buffer => {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};

function collect(s: PassThrough): () => string {
  const parts: Buffer[] = [];
  s.on('data', (c: Buffer) => parts.push(c));
  return () => Buffer.concat(parts).toString();
}

describe('stream demultiplexing', () => {
  it('splits frames to stdout and stderr, across arbitrary chunk boundaries', () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const o = collect(out);
    const e = collect(err);
    const dm = new Demuxer(out, err);
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'oops\n'), frame(1, 'world\n'), frame(0, 'stdin-echo')]);
    for (let i = 0; i < all.length; i += 3) dm.push(all.subarray(i, i + 3));
    assert.equal(o(), 'hello world\nstdin-echo');
    assert.equal(e(), 'oops\n');
  });
});

describe('detach keys', () => {
  it('parses docker key specs', () => {
    assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
    assert.deepEqual(parseDetachKeys('ctrl-a,x'), [1, 120]);
    assert.deepEqual(parseDetachKeys('ctrl-@,ctrl-['), [0, 27]);
    assert.throws(() => parseDetachKeys('ctrl-1'), { message: "Unknown character: 'ctrl-1'" });
  });
  it('forwards input, holds back a partial sequence and releases it on mismatch', () => {
    const det = new EscapeDetector([16, 17]);
    assert.deepEqual(det.feed(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), escaped: false });
    assert.deepEqual(det.feed(Buffer.from('c')), { forward: Buffer.from('\x10c'), escaped: false });
    assert.deepEqual(det.feed(Buffer.from('x\x10')), { forward: Buffer.from('x'), escaped: false });
    assert.deepEqual(det.feed(Buffer.from('\x11rest')), { forward: Buffer.from(''), escaped: true });
  });
  it('restarts matching when the first key repeats', () => {
    const det = new EscapeDetector([16, 17]);
    assert.deepEqual(det.feed(Buffer.from('\x10\x10\x11')), { forward: Buffer.from('\x10'), escaped: true });
  });
});

describe('ps columns', () => {
  it('truncates and quotes commands like docker', () => {
    assert.equal(ellipsis("sh -c 'sleep 1000; echo done'", 20), "sh -c 'sleep 1000; …");
    assert.equal(ellipsis('short', 20), 'short');
    assert.equal(goQuote('sh -c "x"\t\x01'), '"sh -c \\"x\\"\\t\\x01"');
  });
  it('renders ports as DisplayablePorts does', () => {
    const p = (PrivatePort: number, Type: string, IP?: string, PublicPort?: number) => ({ PrivatePort, Type, IP, PublicPort });
    assert.equal(displayablePorts([p(80, 'tcp', '0.0.0.0', 8080), p(80, 'tcp', '::', 8080)]), '0.0.0.0:8080->80/tcp, [::]:8080->80/tcp');
    assert.equal(displayablePorts([p(81, 'tcp'), p(80, 'tcp'), p(82, 'tcp'), p(53, 'udp')]), '53/udp, 80-82/tcp');
    assert.equal(
      displayablePorts([p(8000, 'tcp', '0.0.0.0', 8000), p(8001, 'tcp', '0.0.0.0', 8001)]),
      '0.0.0.0:8000-8001->8000-8001/tcp',
    );
    assert.equal(displayablePorts([]), '');
  });
  it('exposes docker row fields', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const c = new ContainerContext(
      {
        Id: 'a'.repeat(64),
        Names: ['/web', '/other/link'],
        Image: 'busybox',
        Command: "sh -c 'sleep 1000'",
        Created: now / 1000 - 120,
        Status: 'Up 2 minutes',
        State: 'running',
        Labels: { a: 'b' },
        SizeRw: 0,
        SizeRootFs: 4_260_000,
      },
      true,
      now,
    );
    assert.equal(c.ID, 'aaaaaaaaaaaa');
    assert.equal(c.Names, 'web');
    assert.equal(c.Command, '"sh -c \'sleep 1000\'"');
    assert.equal(c.RunningFor, '2 minutes ago');
    assert.equal(c.Size, '0B (virtual 4.26MB)');
    assert.equal(c.Label('a'), 'b');
  });
});

describe('stats', () => {
  const sample = {
    id: 'b'.repeat(64),
    name: '/db',
    cpu_stats: { cpu_usage: { total_usage: 400_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
    precpu_stats: { cpu_usage: { total_usage: 200_000_000 }, system_cpu_usage: 18_000_000_000 },
    memory_stats: { usage: 10 * 1024 * 1024, limit: 100 * 1024 * 1024, stats: { inactive_file: 2 * 1024 * 1024 } },
    networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 }, eth1: { rx_bytes: 500, tx_bytes: 0 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 4096 }, { op: 'Write', value: 8192 }, { op: 'total', value: 1 }] },
    pids_stats: { current: 3 },
  };
  it('computes CPU % and memory without page cache like docker', () => {
    const e = statsEntry('db', sample);
    assert.equal(e.CPUPercentage, (200_000_000 / 2_000_000_000) * 2 * 100);
    assert.equal(e.Memory, 8 * 1024 * 1024);
    const row = new StatsContext(e, true);
    assert.equal(row.CPUPerc, '20.00%');
    assert.equal(row.MemUsage, '8MiB / 100MiB');
    assert.equal(row.MemPerc, '8.00%');
    assert.equal(row.NetIO, '1.5kB / 2kB');
    assert.equal(row.BlockIO, '4.1kB / 8.19kB');
    assert.equal(row.PIDs, '3');
    assert.equal(row.Name, 'db');
    assert.equal(row.ID, 'bbbbbbbbbbbb');
  });
  it('redraws the live view with the bytes docker v28 writes', () => {
    assert.equal(liveFrame('a 1\nb 1\n'), '\x1b[Ha 1\nb 1\n\x1b[Ha 1 \x1b[K\nb 1 \x1b[K\n \x1b[K\n\x1b[J');
  });
  it('prefers cgroup v1 total_inactive_file', () => {
    assert.equal(memUsageNoCache({ usage: 100, stats: { total_inactive_file: 30, inactive_file: 10 } }), 70);
    assert.equal(memUsageNoCache({ usage: 100, stats: {} }), 100);
  });
});

describe('port, inspect, update, prune helpers', () => {
  it('prints port mappings in natural order', () => {
    const ports = {
      '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
      '443/tcp': [{ HostIp: '::', HostPort: '8443' }],
      '53/udp': null,
    };
    assert.deepEqual(portLines(ports, 'web'), ['443/tcp -> [::]:8443', '8080/tcp -> 0.0.0.0:8080']);
    assert.deepEqual(portLines(ports, 'web', '8080'), ['0.0.0.0:8080']);
    assert.throws(() => portLines(ports, 'web', '53/udp'), { message: "Error: No public port '53/udp' published for web" });
    assert.equal(naturalLess('9/tcp', '10/tcp'), true);
  });
  it('indents JSON like MarshalIndent with HTML escaping', () => {
    assert.equal(indentJson([{ a: '<b>' }]), '[\n    {\n        "a": "\\u003cb\\u003e"\n    }\n]');
  });
  it('builds docker update bodies and filter JSON', () => {
    const flags = LIFECYCLE_SPECS.find((s) => s.name === 'update')!.flags;
    const f = parseFlags(flags, ['--memory', '256m', '--cpus', '0.5', '--restart', 'on-failure:3', '--pids-limit', '50', 'c'], { interspersed: true });
    const body = buildUpdateBody(f);
    assert.equal(body.Memory, 256 * 1024 * 1024);
    assert.equal(body.NanoCpus, 500_000_000);
    assert.equal(body.PidsLimit, 50);
    assert.deepEqual(body.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(filtersQuery(['label=a', 'until=1h', 'label=b=c']), '{"label":{"a":true,"b=c":true},"until":{"1h":true}}');
  });
  it('maps start failures to docker exit codes', () => {
    assert.equal(startErrorCode('exec: "x": executable file not found in $PATH: unknown'), 127);
    assert.equal(startErrorCode('exec: "/etc": permission denied: unknown'), 126);
    assert.equal(startErrorCode('something else'), 125);
  });
});
