// Pure container rules: image-config merge, HostConfig defaults and restart
// policy validation, names, signals, status text, list filters, log parsing,
// /etc files and ps parsing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { completeHostConfig, mergeImageConfig, initialState, type ContainerRecord } from '../../src/engine/containers-model.js';
import { generateName, normaliseName, newContainerId } from '../../src/engine/containers-names.js';
import { parseSignal } from '../../src/engine/containers-signals.js';
import { humanDuration, statusText } from '../../src/engine/containers-view.js';
import { selectContainers } from '../../src/engine/containers-filters.js';
import { formatLogTime, formatRecord, logAttributes, parseLogTime, parseTail } from '../../src/engine/containers-logs.js';
import { parseLogLine } from '../../src/runtime/logs.js';
import { hostsFile, resolvConf } from '../../src/engine/containers-etc.js';
import { parsePs } from '../../src/engine/containers-stats.js';
import { probeArgs } from '../../src/engine/containers-health.js';
import { parseFilters } from '../../src/api/query.js';

describe('config merge (moby mergeAndVerifyConfig)', () => {
  const image = {
    Env: ['PATH=/bin', 'A=image'],
    Cmd: ['sh'],
    Entrypoint: null,
    WorkingDir: '/w',
    User: 'daemon',
    Labels: { a: '1', b: '2' },
    ExposedPorts: { '80/tcp': {} },
    StopSignal: 'SIGQUIT',
    Healthcheck: { Test: ['CMD', 'true'], Interval: 5e9 },
  };
  it('user values win, the image fills gaps', () => {
    const c = mergeImageConfig({ Image: 'x', Env: ['A=user'], Labels: { b: 'u' }, ExposedPorts: { '81/tcp': {} } }, image);
    assert.deepEqual(c.Env, ['A=user', 'PATH=/bin']);
    assert.deepEqual(c.Cmd, ['sh']);
    assert.equal(c.WorkingDir, '/w');
    assert.equal(c.User, 'daemon');
    assert.deepEqual(c.Labels, { a: '1', b: 'u' });
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}).sort(), ['80/tcp', '81/tcp']);
    assert.equal(c.StopSignal, 'SIGQUIT');
    assert.deepEqual(c.Healthcheck, { Test: ['CMD', 'true'], Interval: 5e9 });
  });
  it('an entrypoint from the user drops the image Cmd', () => {
    const c = mergeImageConfig({ Image: 'x', Entrypoint: ['echo'] }, { ...image, Entrypoint: ['/init'] });
    assert.deepEqual(c.Entrypoint, ['echo']);
    assert.equal(c.Cmd, null);
  });
  it('no command at all is an error', () => {
    assert.throws(() => mergeImageConfig({ Image: 'x' }, {}), /No command specified/);
  });
});

describe('HostConfig defaults', () => {
  it('fills Docker defaults', () => {
    const h = completeHostConfig({ NetworkMode: 'default' }, '1');
    assert.equal(h.NetworkMode, 'bridge');
    assert.deepEqual(h.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
    assert.equal(h.ShmSize, 67108864);
    assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: {} });
    assert.equal(h.Runtime, 'runc');
    assert.deepEqual(h.ConsoleSize, [0, 0]);
  });
  it('validates restart policies with Docker\'s messages', () => {
    assert.throws(() => completeHostConfig({ RestartPolicy: { Name: 'sometimes' } }, '1'), /unknown policy 'sometimes'/);
    assert.throws(() => completeHostConfig({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } }, '1'), /can only be used with 'on-failure'/);
    assert.throws(() => completeHostConfig({ AutoRemove: true, RestartPolicy: { Name: 'always' } }, '1'), /AutoRemove/);
    assert.doesNotThrow(() => completeHostConfig({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } }, '1'));
  });
});

describe('names, ids, signals', () => {
  it('names follow Docker\'s rule', () => {
    assert.equal(normaliseName('web-1'), '/web-1');
    assert.throws(() => normaliseName('x'), /Invalid container name \(x\)/);
    assert.throws(() => normaliseName('-bad'), /only \[a-zA-Z0-9\]/);
    assert.match(generateName(), /^[a-z]+_[a-z]+$/);
    assert.match(generateName(1), /^[a-z]+_[a-z]+\d$/);
    assert.match(newContainerId(), /^[0-9a-f]{64}$/);
  });
  it('signals by name, short name and number', () => {
    assert.deepEqual(parseSignal('SIGTERM'), { name: 'SIGTERM', number: 15 });
    assert.deepEqual(parseSignal('hup'), { name: 'SIGHUP', number: 1 });
    assert.equal(parseSignal('9').name, 'SIGKILL');
    assert.equal(parseSignal('SIGRTMIN+3').number, 37);
    assert.throws(() => parseSignal('SIGNOPE'), /Invalid signal: SIGNOPE/);
  });
});

describe('status text', () => {
  it('uses Go\'s HumanDuration', () => {
    assert.equal(humanDuration(500), 'Less than a second');
    assert.equal(humanDuration(1000), '1 second');
    assert.equal(humanDuration(45_000), '45 seconds');
    assert.equal(humanDuration(70_000), 'About a minute');
    assert.equal(humanDuration(5 * 60_000), '5 minutes');
    assert.equal(humanDuration(3_600_000), 'About an hour');
    assert.equal(humanDuration(3 * 86_400_000), '3 days');
  });
  it('shows Created, Up, Exited, Paused, health', () => {
    const now = Date.parse('2024-01-01T00:01:00Z');
    const s = initialState();
    assert.equal(statusText(s, now), 'Created');
    Object.assign(s, { Running: true, StartedAt: '2024-01-01T00:00:30Z' });
    assert.equal(statusText(s, now), 'Up 30 seconds');
    s.Health = { Status: 'healthy', FailingStreak: 0, Log: [] };
    assert.equal(statusText(s, now), 'Up 30 seconds (healthy)');
    s.Paused = true;
    assert.equal(statusText(s, now), 'Up 30 seconds (Paused)');
    Object.assign(s, { Running: false, Paused: false, ExitCode: 3, FinishedAt: '2024-01-01T00:00:58Z' });
    assert.equal(statusText(s, now), 'Exited (3) 2 seconds ago');
  });
});

describe('list filters', () => {
  const mk = (name: string, created: string, running: boolean, labels: Record<string, string> = {}, exit = 0): ContainerRecord =>
    ({
      id: name.padEnd(64, '0'),
      name: '/' + name,
      created,
      path: 'sh',
      args: [],
      imageId: 'sha256:img',
      topLayer: null,
      config: { Image: 'busybox', Labels: labels, ExposedPorts: { '80/tcp': {} } },
      hostConfig: { NetworkMode: 'bridge', PortBindings: {} },
      networkingConfig: null,
      state: { ...initialState(), Running: running, Status: running ? 'running' : 'exited', ExitCode: exit },
      restartCount: 0,
      platform: 'linux',
      manuallyStopped: false,
      hasBeenStarted: true,
    }) as unknown as ContainerRecord;
  const all = [mk('ccc', '3', true, { a: '1' }), mk('bbb', '2', false, {}, 2), mk('aaa', '1', false, { a: '2' })];
  const ctx = {
    find: (r: string) => all.find((c) => c.name === '/' + r)!,
    ancestorIds: () => ['sha256:img'],
    networkNamesOf: () => ['bridge'],
    volumeRefsOf: () => [],
  };
  const sel = (q: string, allFlag = true, limit = -1): string[] =>
    selectContainers(all, { all: allFlag, limit, filters: parseFilters(q) }, ctx).map((c) => c.name);
  it('applies Docker\'s rules', () => {
    assert.deepEqual(sel('', false), ['/ccc']);
    assert.deepEqual(sel('{"status":["exited"]}', false), ['/bbb', '/aaa']);
    assert.deepEqual(sel('{"exited":["2"]}'), ['/bbb']);
    assert.deepEqual(sel('{"label":["a"]}'), ['/ccc', '/aaa']);
    assert.deepEqual(sel('{"label":["a","a=2"]}'), ['/aaa']);
    assert.deepEqual(sel('{"name":["^/?b"]}'), ['/bbb']);
    assert.deepEqual(sel('{"before":["ccc"]}'), ['/bbb', '/aaa']);
    assert.deepEqual(sel('{"since":["aaa"]}'), ['/ccc', '/bbb']);
    assert.deepEqual(sel('{"expose":["79-81/tcp"]}'), ['/ccc', '/bbb', '/aaa']);
    assert.deepEqual(sel('{"expose":["80/udp"]}'), []);
    assert.deepEqual(sel('', false, 2), ['/ccc', '/bbb']);
    assert.throws(() => sel('{"bogus":["1"]}'), /invalid filter 'bogus'/);
    assert.throws(() => sel('{"status":["sleeping"]}'), /invalid filter 'status=sleeping'/);
  });
});

describe('docker logs formatting', () => {
  const rec = parseLogLine(Buffer.from('2024-01-01T01:00:00.5+01:00 stdout F hello'))!;
  it('prints RFC3339NanoFixed timestamps in UTC', () => {
    assert.equal(formatLogTime(rec.timeNs), '2024-01-01T00:00:00.500000000Z');
    assert.equal(formatRecord(rec, { timestamps: true }).toString(), '2024-01-01T00:00:00.500000000Z hello\n');
  });
  it('--details puts the attributes (or nothing) and a space before the line, after the timestamp', () => {
    assert.equal(formatRecord(rec, { timestamps: false, details: '' }).toString(), ' hello\n');
    assert.equal(formatRecord(rec, { timestamps: true, details: 'a=1' }).toString(), '2024-01-01T00:00:00.500000000Z a=1 hello\n');
  });
  it('attributes come from the labels/env log options, sorted and query-escaped', () => {
    const c = {
      config: { Labels: { zone: 'eu west', app: 'web', other: 'x' }, Env: ['MODE=a&b', 'SECRET=s', 'TIER=1'] },
      hostConfig: { LogConfig: { Type: 'json-file', Config: { labels: 'zone,app,missing', env: 'MODE', 'env-regex': '^TI' } } },
    } as any;
    assert.equal(logAttributes(c), 'MODE=a%26b,TIER=1,app=web,zone=eu+west');
    assert.equal(logAttributes({ config: {}, hostConfig: {} } as any), '');
  });
  it('checks since/until/tail like dockerd', () => {
    assert.equal(parseLogTime('since', '1700000000.25'), 1700000000250000000n);
    assert.equal(parseLogTime('since', '0'), undefined);
    assert.throws(() => parseLogTime('until', 'soon'), /invalid value for until: soon/);
    assert.equal(parseTail('all'), undefined);
    assert.equal(parseTail('-1'), undefined);
    assert.equal(parseTail('3'), 3);
    assert.throws(() => parseTail('x'), /invalid value for tail: x/);
  });
});

describe('/etc files, ps, health probes', () => {
  const e = { hostname: 'abc', domainname: '', networkMode: 'bridge', extraHosts: ['db:10.0.0.5'], dns: [], dnsSearch: [], dnsOptions: [] };
  it('hosts has localhost, extra hosts and the container address', () => {
    const h = hostsFile({ ...e, ip: '10.1.0.2' });
    assert.match(h, /^127\.0\.0\.1\tlocalhost$/m);
    assert.match(h, /^10\.0\.0\.5\tdb$/m);
    assert.match(h, /^10\.1\.0\.2\tabc$/m);
  });
  it('resolv.conf drops loopback nameservers and falls back to public ones', () => {
    assert.equal(resolvConf(e, 'nameserver 127.0.0.53\nsearch lan\n'), 'search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    assert.equal(resolvConf(e, 'nameserver 10.0.0.1\n'), 'nameserver 10.0.0.1\n');
    assert.equal(resolvConf({ ...e, dns: ['1.1.1.1'] }, 'nameserver 10.0.0.1\n'), 'nameserver 1.1.1.1\n');
  });
  it('ps output is filtered to the container pids', () => {
    const out = 'UID PID PPID CMD\nroot 10 1 sleep 60\nroot 11 1 other thing\n';
    assert.deepEqual(parsePs(out, [10]), { Titles: ['UID', 'PID', 'PPID', 'CMD'], Processes: [['root', '10', '1', 'sleep 60']] });
  });
  it('health probe commands', () => {
    assert.deepEqual(probeArgs({ Test: ['CMD-SHELL', 'exit 1'] }), ['/bin/sh', '-c', 'exit 1']);
    assert.deepEqual(probeArgs({ Test: ['CMD', 'true', 'x'] }), ['true', 'x']);
    assert.equal(probeArgs({ Test: ['NONE'] }), null);
  });
});
