// The lecture's chapter 4 stacks (test/fixtures/compose/lecture-*) with
// berth compose: the basic web+db stack (container_name, a published port
// serving ./html, env_file, a named volume, a user network) and the build
// stack (`up --build`, attached output, `down --rmi local`).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startDaemon, type TestDaemon } from '../support/daemon.js';
import { ensureBusybox } from '../support/images.js';
import { api, assertGone } from './compose-helpers.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/compose');

/** A port nothing listens on now (the fixture's 8080 may be taken on a shared machine). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function httpGet(port: number): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      return await res.text();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

describe('berth compose: the lecture stacks', () => {
  let d: TestDaemon;
  let tmp: string;
  before(async () => {
    d = await startDaemon();
    await ensureBusybox(d);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-compose-lecture-'));
  });
  after(async () => {
    await d?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const stack = (fixture: string) => {
    const dir = path.join(tmp, fixture);
    cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
    const file = path.join(dir, 'docker-compose.yml');
    return {
      dir,
      file,
      ok(args: string[]) {
        const r = d.berth(['compose', '-f', file, ...args]);
        assert.equal(r.code, 0, `compose ${args.join(' ')}: ${r.stderr}`);
        return r;
      },
    };
  };

  it('lecture-basic: up -d, the page on the published port, env_file, logs, down -v', async () => {
    const s = stack('lecture-basic');
    const port = await freePort();
    writeFileSync(s.file, readFileSync(s.file, 'utf8').replace("'8080:80'", `'127.0.0.1:${port}:80'`));
    s.ok(['up', '-d']);
    const web = await api(d.client, '/containers/my_app/json');
    assert.equal(web.State.Running, true);
    assert.equal(web.Config.Labels['com.docker.compose.service'], 'web');
    assert.ok(
      web.NetworkSettings.Networks['lecture-basic_my_network'],
      JSON.stringify(web.NetworkSettings.Networks),
    );
    const page = await httpGet(port);
    assert.equal(page, readFileSync(path.join(s.dir, 'html/index.html'), 'utf8'));
    assert.match(s.ok(['port', 'web', '80']).stdout, new RegExp(`^127\\.0\\.0\\.1:${port}\\n$`));
    const env = s.ok(['exec', '-T', 'db', 'env']).stdout;
    assert.match(env, /^MYSQL_ROOT_PASSWORD=1234$/m);
    assert.match(env, /^APP_GREETING=hello from \.env$/m);
    assert.match(s.ok(['exec', '-T', 'web', 'nslookup', 'db']).stdout, /Name:\s+db/);
    assert.match(s.ok(['logs', 'db']).stdout, /^db-1 {2}\| db ready, root password 1234$/m);
    const ps = s.ok(['ps']).stdout;
    assert.match(
      ps,
      new RegExp(
        `^my_app\\s+busybox:latest\\s+"httpd -f -p 80 -h /…"\\s+web\\s+.*127\\.0\\.0\\.1:${port}->80/tcp$`,
        'm',
      ),
    );
    s.ok(['stop']);
    assert.equal((await api(d.client, '/containers/my_app/json')).State.Running, false);
    s.ok(['start']);
    assert.equal((await api(d.client, '/containers/my_app/json')).State.Running, true);
    s.ok(['restart', '-t', '1', 'db']);
    s.ok(['down', '-v']);
    await assertGone(d.client, '/volumes/lecture-basic_db_data');
    await assertGone(d.client, '/containers/my_app/json');
  });

  it('lecture-build: up --build builds through POST /build and runs the image', async () => {
    const s = stack('lecture-build');
    const r = s.ok(['up', '--build']);
    assert.match(r.stdout, /^lecture_build_app {2}\| hello from the app built by compose$/m);
    assert.match(r.stdout, /^lecture_build_app exited with code 0$/m);
    const img = await api(d.client, '/images/lecture-build-app/json');
    assert.match(img.Id, /^sha256:/);
    const images = s.ok(['images']).stdout;
    assert.match(images, /^lecture_build_app\s+lecture-build-app\s+latest\s+[0-9a-f]{12}\s/m);
    s.ok(['down', '--rmi', 'local']);
    await assertGone(d.client, '/images/lecture-build-app/json');
  });
});
