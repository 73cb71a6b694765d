// berth beside a real dockerd on the same host: dockerd runs on a private
// socket/data-root/exec-root with a bridge this test creates; networks of both
// engines get subnets that do not collide, published ports of both engines
// answer, and berth's DNS keeps working under dockerd's iptables rules.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DOCKER, startDaemon, type TestDaemon } from '../support/daemon.js';
import { busyboxTar, ensureBusybox } from '../support/images.js';
import { dropRulesForInterface } from '../support/iptables-cleanup.js';
import { dockerdConfigPath, privateDockerdArgs } from '../support/dockerd-args.js';

const uniq = (p: string): string =>
  `${p}${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));

function routes(): string {
  return spawnSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' }).stdout;
}

/** A /24 in 10.140-10.199 that no route on the host touches. */
function freeSubnet(): string {
  const r = routes();
  for (let i = 0; i < 200; i++) {
    const s = `10.${140 + Math.floor(Math.random() * 60)}.${Math.floor(Math.random() * 256)}`;
    if (!r.includes(`${s}.`)) return s;
  }
  throw new Error('no free subnet');
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '0.0.0.0', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function overlaps(a: string, b: string): boolean {
  const toNum = (ip: string): number => ip.split('.').reduce((n, x) => n * 256 + Number(x), 0);
  const [ia, pa] = a.split('/');
  const [ib, pb] = b.split('/');
  const p = Math.min(Number(pa), Number(pb));
  const m = 2 ** (32 - p);
  return Math.floor(toNum(ia) / m) === Math.floor(toNum(ib) / m);
}

describe(
  'berth and dockerd on one host',
  () => {
    let d: TestDaemon;
    let dockerd: ChildProcess | undefined;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-dockerd-'));
    const sock = path.join(dir, 'd.sock');
    const bridge = uniq('gdk').slice(0, 15);
    const dnet = uniq('gdn');
    const bnets = [uniq('gbn'), uniq('gbn')];
    const dk = (args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } => {
      const r = spawnSync(DOCKER, ['-H', `unix://${sock}`, ...args], {
        input,
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 1 << 28,
      });
      return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    };
    const ok = (args: string[]): string => {
      const r = d.docker(args);
      assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const dok = (args: string[], input?: Buffer): string => {
      const r = dk(args, input);
      assert.equal(r.code, 0, `dockerd: docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };

    before(async () => {
      const sub = freeSubnet();
      spawnSync('ip', ['link', 'add', bridge, 'type', 'bridge']);
      spawnSync('ip', ['addr', 'add', `${sub}.1/24`, 'dev', bridge]);
      spawnSync('ip', ['link', 'set', bridge, 'up']);
      writeFileSync(dockerdConfigPath(dir), '{}');
      dockerd = spawn(
        DOCKERD!,
        privateDockerdArgs(dir, sock, bridge, ['--iptables=true']),
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let log = '';
      dockerd.stderr!.on('data', (b: Buffer) => (log += b));
      for (let i = 0; i < 150 && dk(['version']).code !== 0; i++) {
        if (dockerd.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      dok(['version']);
      dok(['import', '-c', 'CMD ["sh"]', '-', 'busybox:latest'], readFileSync(busyboxTar()));
      d = await startDaemon();
      await ensureBusybox(d);
    });

    after(async () => {
      try {
        if (d) {
          const ids = d.docker(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean);
          if (ids.length) d.docker(['rm', '-f', ...ids]);
          for (const n of bnets) d.docker(['network', 'rm', n]);
          await d.stop();
        }
        if (dockerd && dockerd.exitCode === null) {
          const ids = dk(['ps', '-a', '-q']).stdout.split('\n').filter(Boolean);
          if (ids.length) dk(['rm', '-f', ...ids]);
          dk(['network', 'rm', dnet]);
          const exited = new Promise((r) => dockerd!.once('exit', r));
          process.kill(dockerd.pid!, 'SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
          if (dockerd.exitCode === null) process.kill(dockerd.pid!, 'SIGKILL');
        }
      } finally {
        spawnSync('ip', ['link', 'del', bridge]);
        dropRulesForInterface(bridge);
        spawnSync('umount', ['-R', path.join(dir, 'exec')]);
        spawnSync('umount', ['-R', path.join(dir, 'data')]);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('networks of both engines never overlap, and both engines publish ports and resolve names', async () => {
      const b0 = ok(['network', 'create', bnets[0]]);
      const s0 = ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', b0]);
      // dockerd takes the /24 berth would pick next; berth must notice the route and move on.
      const [a, b, c] = s0.split('.').map(Number);
      const next = `${a}.${b}.${c + 1}.0/24`;
      dok(['network', 'create', '--subnet', next, dnet]);
      ok(['network', 'create', bnets[1]]);
      const s1 = ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', bnets[1]]);
      for (const x of [s0, next]) assert.ok(!overlaps(s1, x), `${s1} overlaps ${x}`);
      const dockerSubnets = dok([
        'network',
        'inspect',
        '-f',
        '{{range .IPAM.Config}}{{.Subnet}}{{end}}',
        'bridge',
        dnet,
      ]).split('\n');
      for (const ds of dockerSubnets)
        for (const bs of [s0, s1]) assert.ok(!overlaps(ds, bs), `${ds} (dockerd) overlaps ${bs} (berth)`);

      const bport = await freePort();
      const web = uniq('web');
      ok([
        'run',
        '-d',
        '--name',
        web,
        '--network',
        bnets[1],
        '-p',
        `${bport}:80`,
        'busybox',
        'sh',
        '-c',
        'mkdir /w && echo berth > /w/index.html && exec httpd -f -p 80 -h /w',
      ]);
      const dport = await freePort();
      dok([
        'run',
        '-d',
        '--network',
        dnet,
        '-p',
        `${dport}:80`,
        'busybox',
        'sh',
        '-c',
        'mkdir /w && echo dockerd > /w/index.html && exec httpd -f -p 80 -h /w',
      ]);
      const get = async (port: number): Promise<string> =>
        (
          await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })).text()
        ).trim();
      assert.equal(await get(bport), 'berth');
      assert.equal(await get(dport), 'dockerd');
      assert.equal(
        ok(['run', '--rm', '--network', bnets[1], 'busybox', 'wget', '-qO-', `http://${web}/`]),
        'berth',
      );
    });
  },
);
