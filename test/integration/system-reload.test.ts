// SIGHUP makes berthd re-read daemon.json like dockerd: reloadable keys
// change in `docker info`, and a `daemon reload` event is published.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';

describe('daemon reload (SIGHUP)', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon({ config: { labels: ['stage=one'] } });
  });
  after(async () => {
    await d?.stop();
  });

  const info = (): any => JSON.parse(d.docker(['info', '--format', '{{json .}}']).stdout);
  const waitFor = async (cond: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 50; i++) {
      if (cond()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return cond();
  };

  test('labels and registry mirrors change, and docker events shows daemon reload', async () => {
    assert.deepEqual(info().Labels, ['stage=one']);
    const since = Math.floor(Date.now() / 1000) - 1;
    writeFileSync(
      path.join(d.dir, 'daemon.json'),
      JSON.stringify({
        labels: ['stage=two', 'team=infra'],
        'registry-mirrors': ['https://mirror.example.test'],
      }),
    );
    d.proc.kill('SIGHUP');
    assert.ok(await waitFor(() => info().Labels?.includes('stage=two')), d.log());
    const now = info();
    assert.deepEqual(now.Labels, ['stage=two', 'team=infra']);
    assert.deepEqual(now.RegistryConfig.Mirrors, ['https://mirror.example.test']);
    assert.equal(now.DockerRootDir, d.dataRoot, 'restart-only keys stay');

    const r = d.docker([
      'events',
      '--since',
      String(since),
      '--until',
      String(Math.ceil(Date.now() / 1000) + 1),
      '--filter',
      'type=daemon',
      '--format',
      '{{json .}}',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const evs = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.equal(evs.length, 1);
    assert.equal(evs[0].Action, 'reload');
    assert.equal(evs[0].Actor.ID, now.ID);
    assert.equal(evs[0].Actor.Attributes.labels, '[stage=two, team=infra]');
    assert.equal(evs[0].Actor.Attributes.name, now.Name);
  });

  test('a broken daemon.json is logged and changes nothing; the daemon stays up', async () => {
    writeFileSync(path.join(d.dir, 'daemon.json'), '{"labels": [');
    d.proc.kill('SIGHUP');
    assert.ok(await waitFor(() => d.log().includes('Error reconfiguring the daemon')), d.log());
    assert.deepEqual(info().Labels, ['stage=two', 'team=infra']);
    assert.equal(d.proc.exitCode, null);
  });
});
