// Log rotation is on by default (Docker's json-file never rotates and fills
// disks): 20 MB x 5 files unless the container or daemon.json's log-opts say
// otherwise; daemon.json's log-opts fill in what the container leaves unset
// and are stored in HostConfig.LogConfig, as dockerd does.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const uniq = (p: string): string => `${p}-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;

function logFiles(d: TestDaemon, name: string): string[] {
  const id = d.docker(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
  return readdirSync(`${d.dataRoot}/containers/${id}`)
    .filter((f) => f.startsWith('container.log'))
    .sort()
    .map((f) => `${d.dataRoot}/containers/${id}/${f}`);
}

describe('log rotation defaults', () => {
  let plain: TestDaemon;
  let configured: TestDaemon;

  before(async () => {
    [plain, configured] = await Promise.all([
      startDaemon(),
      startDaemon({ config: { 'log-opts': { 'max-size': '1k', 'max-file': '2' } } }),
    ]);
    await Promise.all([ensureBusybox(plain), ensureBusybox(configured)]);
  });

  after(async () => {
    for (const d of [plain, configured]) {
      if (!d) continue;
      const ids = d.docker(['ps', '-a', '-q', '--no-trunc']).stdout.split('\n').filter(Boolean);
      if (ids.length) d.docker(['rm', '-f', ...ids]);
      await d.stop();
    }
  });

  it('without log options a container log rotates at 20 MB and keeps the latest output', () => {
    const name = uniq('dflt');
    // 2 x 12 MB with pauses, so the engine's size check sees the file pass 20 MB while it runs.
    const chunk = "head -c 12000000 /dev/zero | tr '\\0' a | fold -w 999";
    const r = plain.docker(['run', '--name', name, 'busybox', 'sh', '-c', `${chunk}; sleep 1; ${chunk}; sleep 1; echo last-line`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(plain.docker(['inspect', '-f', '{{json .HostConfig.LogConfig}}', name]).stdout.trim(), '{"Type":"json-file","Config":{}}');
    const files = logFiles(plain, name);
    assert.equal(files.length, 2, `one older generation: ${files.join(', ')}`);
    const total = files.reduce((n, f) => n + statSync(f).size, 0);
    assert.ok(total > 24_000_000, `all output kept (${total} bytes)`);
    const tail = plain.docker(['logs', '--tail', '1', name]);
    assert.equal(tail.stdout, 'last-line\n');
  });

  it("daemon.json log-opts are stored in the container's LogConfig and applied", () => {
    const name = uniq('daemonopts');
    const script = 'i=1; while [ $i -le 120 ]; do echo line-$i-0123456789abcdef; [ $((i % 12)) = 0 ] && sleep 0.4; i=$((i+1)); done';
    const r = configured.docker(['run', '--name', name, 'busybox', 'sh', '-c', script]);
    assert.equal(r.code, 0, r.stderr);
    const cfg = JSON.parse(configured.docker(['inspect', '-f', '{{json .HostConfig.LogConfig.Config}}', name]).stdout);
    assert.deepEqual(cfg, { 'max-size': '1k', 'max-file': '2' });
    assert.deepEqual(
      logFiles(configured, name).map((f) => f.split('/').pop()),
      ['container.log', 'container.log.1'],
    );
    const lines = configured.docker(['logs', name]).stdout.trim().split('\n');
    assert.equal(lines[lines.length - 1], 'line-120-0123456789abcdef');
    assert.ok(!lines.includes('line-1-0123456789abcdef'), 'the oldest lines were rotated away');
  });

  it("the container's own log options win over daemon.json's", () => {
    const name = uniq('own');
    const r = configured.docker(['run', '--name', name, '--log-opt', 'max-size=5k', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const cfg = JSON.parse(configured.docker(['inspect', '-f', '{{json .HostConfig.LogConfig.Config}}', name]).stdout);
    assert.deepEqual(cfg, { 'max-size': '5k', 'max-file': '2' });
  });
});
