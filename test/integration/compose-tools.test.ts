// berth compose scale, stats and attach: the project's containers through
// the docker CLI's own commands, as Compose v2 offers them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';

const loop = `["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`;

describe('berth compose: scale, stats, attach', () => {
  let d: TestDaemon;
  let dir: string;
  let file: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-compose-tools-'));
    mkdirSync(dir, { recursive: true });
    file = path.join(dir, 'compose.yaml');
    writeFileSync(
      file,
      `name: ctools
services:
  web:
    image: busybox:latest
    command: ${loop}
  job:
    image: busybox:latest
    command: ["sh", "-c", "sleep 4; echo job output; exit 4"]
`,
    );
  });
  after(async () => {
    await d?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const compose = (args: string[]) => d.berth(['compose', '-f', file, ...args]);
  const ok = (args: string[]) => {
    const r = compose(args);
    assert.equal(r.code, 0, `compose ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const running = (service: string): string[] =>
    d
      .docker(['ps', '--filter', `label=com.docker.compose.service=${service}`, '--format', '{{.Names}}'])
      .stdout.split('\n')
      .filter(Boolean)
      .sort();

  it('scale sets the number of replicas of a service, up and down', () => {
    ok(['up', '-d', 'web']);
    ok(['scale', 'web=3']);
    assert.deepEqual(running('web'), ['ctools-web-1', 'ctools-web-2', 'ctools-web-3']);
    ok(['scale', 'web=1']);
    assert.deepEqual(running('web'), ['ctools-web-1']);
    const bad = compose(['scale', 'web=x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /invalid scale value "web=x"/);
  });

  it('stats --no-stream shows the project containers only', () => {
    const outsider = d.docker(['run', '-d', '--name', 'ctools-outsider', 'busybox', 'sleep', '60']);
    assert.equal(outsider.code, 0, outsider.stderr);
    try {
      const r = ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}']);
      const rows = r.stdout.split('\n').filter(Boolean);
      assert.deepEqual(rows.map((l) => l.split(' ')[0]), ['ctools-web-1']);
      assert.ok(Number(rows[0].split(' ')[1]) >= 1, rows[0]);
      const table = ok(['stats', '--no-stream', 'web']);
      assert.match(table.stdout, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT/m);
    } finally {
      d.docker(['rm', '-f', 'ctools-outsider']);
    }
  });

  it('attach follows a service container to its exit and returns its code', () => {
    ok(['up', '-d', 'job']);
    const r = compose(['attach', '--no-stdin', 'job']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, /job output/);
    const missing = compose(['attach', 'nosuch']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /service "nosuch" is not running container #1/);
    ok(['down', '-t', '1']);
  });
});
