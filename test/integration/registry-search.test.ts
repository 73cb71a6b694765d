// `docker search` / `berth search` through berthd against a registry that
// serves the v1 search endpoint (distribution 2.8 does not, so a small one
// runs here as its own process: the CLIs run with spawnSync).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, type TestDaemon } from '../support/daemon.js';
import { removeDirSync } from '../support/teardown.js';

const SERVER = `
const http = require('node:http');
const all = [
  { name: 'busybox', description: 'Busybox base image.', star_count: 3000, is_official: true, is_automated: false },
  { name: 'someone/busybox-tools', description: 'A long description of busybox tools that goes on and on past the limit', star_count: 5, is_official: false, is_automated: true },
  { name: 'other/nginx', description: 'web', star_count: 50, is_official: false, is_automated: false },
];
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/v2/') { res.writeHead(200); return res.end('{}'); }
  if (u.pathname !== '/v1/search') { res.writeHead(404); return res.end(); }
  const q = u.searchParams.get('q') || '';
  const n = Number(u.searchParams.get('n') || 25);
  const results = all.filter((r) => r.name.includes(q)).slice(0, n);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ num_results: results.length, query: q, results }));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

function ok(r: { code: number; stdout: string; stderr: string }, what: string): string {
  assert.equal(r.code, 0, `${what} failed (${r.code}): ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('search', () => {
  let d: TestDaemon;
  let dir: string;
  let proc: ChildProcess;
  let host: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-search-'));
    writeFileSync(path.join(dir, 'server.cjs'), SERVER);
    proc = spawn(process.execPath, [path.join(dir, 'server.cjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => {
      let buf = '';
      proc.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        if (buf.includes('\n')) resolve(Number(buf.trim()));
      });
    });
    host = `127.0.0.1:${port}`;
    d = await startDaemon();
  });
  after(async () => {
    await d?.stop();
    proc?.kill('SIGKILL');
    if (dir) removeDirSync(dir);
  });

  test("docker search lists results in Docker's table", () => {
    const out = ok(d.docker(['search', `${host}/busybox`]), 'search');
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0], /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/);
    assert.match(lines[1], /^busybox\s+Busybox base image\.\s+3000\s+\[OK\]$/);
    assert.match(lines[2], /^someone\/busybox-tools\s+A long description of busybox tools that goe…\s+5\s*$/);
    assert.equal(lines.length, 3);
  });

  test('berth search prints exactly what docker search prints', () => {
    for (const args of [
      [`${host}/busybox`],
      ['--no-trunc', `${host}/busybox`],
      ['--format', '{{.Name}}: {{.StarCount}}', `${host}/o`],
    ]) {
      assert.equal(
        ok(d.berth(['search', ...args]), 'berth search'),
        ok(d.docker(['search', ...args]), 'docker search'),
        args.join(' '),
      );
    }
  });

  test('--filter and --limit', () => {
    const official = ok(
      d.docker(['search', '--filter', 'is-official=true', '--format', '{{.Name}}', `${host}/busybox`]),
      'official',
    );
    assert.equal(official, 'busybox\n');
    const stars = ok(
      d.berth(['search', '--filter', 'stars=10', '--format', '{{.Name}}', `${host}/o`]),
      'stars',
    );
    assert.equal(stars, 'busybox\nother/nginx\n');
    const limited = ok(
      d.docker(['search', '--limit', '1', '--format', '{{.Name}}', `${host}/busybox`]),
      'limit',
    );
    assert.equal(limited, 'busybox\n');
  });

  test('a limit outside [1, 100] is refused by the daemon', async () => {
    await assert.rejects(
      d.client.get('/images/search', { term: `${host}/busybox`, limit: 101 }),
      /limit 101 is outside the range of \[1, 100\]/,
    );
  });
});
