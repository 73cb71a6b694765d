// `berth info` lists the docker CLI plugins found in the user's and the
// system's cli-plugins directories, as `docker info` does (here: berth's own
// compose plugin in a private DOCKER_CONFIG), in text and in ClientInfo.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BERTH, DOCKER, ROOT } from '../support/daemon.js';

describe('berth info: client plugins', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-plugins-'));
  const plugins = path.join(dir, 'cli-plugins');
  mkdirSync(plugins);
  symlinkSync(path.join(ROOT, 'bin/docker-compose-plugin'), path.join(plugins, 'docker-compose'));
  // Invalid candidates docker lists with an error and warns about: not executable, a bad name.
  writeFileSync(path.join(plugins, 'docker-notexec'), '#!/bin/sh\n', { mode: 0o644 });
  writeFileSync(path.join(plugins, 'docker-Bad'), '#!/bin/sh\n', { mode: 0o755 });
  const env = { ...process.env, DOCKER_CONFIG: dir, DOCKER_HOST: `unix://${dir}/no-daemon.sock` };
  const exec = (cmd: string[]) => spawnSync(cmd[0], cmd.slice(1), { env, encoding: 'utf8', timeout: 60_000 });
  const run = (cmd: string[]): string => exec(cmd).stdout ?? '';
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the Plugins section of the Client part like docker info', () => {
    const client = (out: string): string[] =>
      out.split('\n').slice(0, out.split('\n').indexOf('')).filter((l) => !l.startsWith(' Version:'));
    const docker = client(run([DOCKER, 'info']));
    const berth = client(run([process.execPath, BERTH, 'info']));
    assert.ok(docker.includes('  compose: Docker Compose (berth)'), docker.join('\n'));
    assert.deepEqual(berth, docker);
    const warnings = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('WARNING: Plugin'));
    const dw = warnings(exec([DOCKER, 'info']).stderr);
    assert.equal(dw.length, 2, dw.join('\n'));
    assert.deepEqual(warnings(exec([process.execPath, BERTH, 'info']).stderr), dw);
  });

  it('gives ClientInfo.Plugins the fields docker gives', () => {
    const fmt = ['info', '--format', '{{json .ClientInfo.Plugins}}'];
    const docker = JSON.parse(run([DOCKER, ...fmt]));
    const berth = JSON.parse(run([process.execPath, BERTH, ...fmt]));
    assert.deepEqual(berth, docker);
    assert.deepEqual(berth.map((p: { Name: string }) => p.Name), ['Bad', 'compose', 'notexec']);
    // The same bytes, field order included.
    assert.equal(run([process.execPath, BERTH, ...fmt]), run([DOCKER, ...fmt]));
  });
});
