// `docker images <repo>` on an image that another repository also holds by
// digest (pushed under two names, the other one's tag removed, then pulled
// again by digest): the same scenario
// on a private dockerd and on berthd, through the real docker CLI, must list
// the same rows — only the asked-for repository, never a digest-only row of
// the other one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type RunResult, type TestDaemon } from '../support/daemon.js';
import { startDockerd, type PrivateDockerd } from '../support/dockerd.js';
import { ensureBusybox } from '../support/images.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

type Docker = (args: string[]) => RunResult;

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Pushes busybox as repoa and repob, untags repob, and answers what `images` shows. */
function scenario(docker: Docker, host: string, tag: string): Record<string, string> {
  const a = `${host}/${tag}a`;
  const b = `${host}/${tag}b`;
  ok(docker(['tag', 'busybox:latest', `${a}:v1`]), 'tag a');
  ok(docker(['tag', 'busybox:latest', `${b}:v1`]), 'tag b');
  ok(docker(['push', `${a}:v1`]), 'push a');
  const pushed = /v1: digest: (sha256:[0-9a-f]{64})/.exec(ok(docker(['push', `${b}:v1`]), 'push b'));
  assert.ok(pushed, 'push b printed no digest');
  // Removing b's last tag also drops b's digest of the image (rmi prints both).
  const untagged = ok(docker(['rmi', `${b}:v1`]), 'untag b');
  const rows = (args: string[]): string =>
    ok(docker(['images', ...args]), `images ${args.join(' ')}`)
      .replace(/sha256:[0-9a-f]{64}/g, '<digest>')
      .replace(new RegExp(host.replace(/[.]/g, '\\.'), 'g'), '<registry>');
  const fmt = '{{.Repository}} {{.Tag}} {{.Digest}}';
  const afterRmi = rows(['--format', fmt, b]);
  // Pulled again by digest: the image now holds b only as a digest.
  ok(docker(['pull', `${b}@${pushed[1]}`]), 'pull b by digest');
  return {
    untagged: untagged.replace(/sha256:[0-9a-f]{64}/g, '<digest>').replaceAll(host, '<registry>'),
    afterRmi,
    a: rows(['--format', fmt, a]),
    aDigests: rows(['--digests', '--format', fmt, a]),
    b: rows(['--format', fmt, b]),
    filter: rows(['--format', fmt, '--filter', `reference=${a}:*`]),
    all: rows(['--format', fmt, '--filter', 'reference=*/*']),
  };
}

describe('docker images <repo> with a digest of another repository', () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let dd: PrivateDockerd;

  before(async () => {
    reg = await startRegistry();
    [d, dd] = await Promise.all([startDaemon(), startDockerd()]);
    await ensureBusybox(d);
    dd.loadBusybox();
  });
  after(async () => {
    await Promise.allSettled([d?.stop(), dd?.stop()]);
    await reg?.stop();
  });

  test('berth lists the same rows as dockerd', () => {
    const want = scenario((a) => dd.docker(a), reg.host, 'dref');
    const got = scenario((a) => d.docker(a), reg.host, 'bref');
    // The repositories differ by name only (dref*, bref*).
    const same = (o: Record<string, string>, p: string) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.replaceAll(p, 'X')]));
    assert.deepEqual(same(got, 'bref'), same(want, 'dref'));
    // The scenario is the one that matters: b held by digest only, a tagged.
    assert.match(want.b, /drefb <none>/);
    assert.doesNotMatch(got.a, /brefb/);
  });
});
