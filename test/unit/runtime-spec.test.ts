import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeCaps, DEFAULT_CAPS, ALL_CAPS } from '../../src/runtime/caps.js';
import { clampRlimits, parseProcLimits } from '../../src/runtime/rlimits.js';
import { defaultSeccomp } from '../../src/runtime/seccomp-default.js';
import {
  buildSpec,
  serializeSpec,
  DEFAULT_MASKED_PATHS,
  type SpecHostFacts,
} from '../../src/runtime/spec.js';
import { resolveUser } from '../../src/runtime/user.js';
import { InvalidArgument } from '../../src/api/errors.js';
import type { ContainerRunSpec } from '../../src/runtime/types.js';

const rootfs = mkdtempSync(path.join(os.tmpdir(), 'berth-spec-'));
after(() => rmSync(rootfs, { recursive: true, force: true }));
mkdirSync(path.join(rootfs, 'etc'));
writeFileSync(
  path.join(rootfs, 'etc/passwd'),
  'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:www:/var/www:/bin/false\n',
);
writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nwheel:x:10:root,web\nwww:x:33:\nstaff:x:50:\n');

const facts: SpecHostFacts = {
  hostHard: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: 5000 },
  swapAccounting: true,
  cgroupParent: '/berth',
  initBinary: '/usr/bin/tini-static',
};

function spec(over: Partial<ContainerRunSpec> = {}): ContainerRunSpec {
  return {
    id: 'c1',
    rootfs,
    readonlyRootfs: false,
    args: ['nginx', '-g', 'daemon off;'],
    env: ['A=1'],
    cwd: '',
    user: '',
    hostname: 'h1',
    tty: false,
    openStdin: false,
    etcFiles: { hosts: '/x/hosts', resolvConf: '/x/resolv.conf', hostname: '/x/hostname' },
    mounts: [],
    capAdd: [],
    capDrop: [],
    privileged: false,
    securityOpt: [],
    netns: 'none',
    init: false,
    resources: {},
    logPath: '/x/log',
    ...over,
  };
}

describe('users', () => {
  it('resolves names, numbers and groups like Docker', () => {
    assert.deepEqual(resolveUser(rootfs, ''), { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' });
    assert.deepEqual(resolveUser(rootfs, 'web'), {
      uid: 33,
      gid: 33,
      additionalGids: [33, 10],
      home: '/var/www',
    });
    assert.deepEqual(resolveUser(rootfs, '1234'), { uid: 1234, gid: 0, additionalGids: [0], home: '/' });
    assert.deepEqual(resolveUser(rootfs, '1234:99'), { uid: 1234, gid: 99, additionalGids: [99], home: '/' });
    assert.deepEqual(resolveUser(rootfs, 'web:staff'), {
      uid: 33,
      gid: 50,
      additionalGids: [50],
      home: '/var/www',
    });
    assert.deepEqual(resolveUser(rootfs, 'web', ['staff', '77']).additionalGids, [33, 10, 50, 77]);
    assert.throws(
      () => resolveUser(rootfs, 'xyz'),
      (e: Error) =>
        e instanceof InvalidArgument &&
        e.message === 'unable to find user xyz: no matching entries in passwd file',
    );
    assert.throws(
      () => resolveUser(rootfs, 'web:nogrp'),
      /unable to find group nogrp: no matching entries in group file/,
    );
  });
});

describe('capabilities', () => {
  it('follows Docker for add, drop and ALL', () => {
    assert.deepEqual(computeCaps([], [], false), DEFAULT_CAPS);
    assert.ok(computeCaps(['net_admin'], ['CAP_CHOWN'], false).includes('CAP_NET_ADMIN'));
    assert.ok(!computeCaps([], ['chown'], false).includes('CAP_CHOWN'));
    assert.deepEqual(computeCaps(['NET_ADMIN'], ['ALL'], false), ['CAP_NET_ADMIN']);
    assert.deepEqual(
      computeCaps(['ALL'], ['SYS_ADMIN'], false),
      ALL_CAPS.filter((c) => c !== 'CAP_SYS_ADMIN'),
    );
    assert.deepEqual(computeCaps([], ['ALL'], true), ALL_CAPS);
    assert.throws(() => computeCaps(['BOGUS'], [], false), /unknown capability: "CAP_BOGUS"/);
  });
});

describe('rlimits', () => {
  it('clamps to the engine hard limit, defaulting nofile to Docker’s 1048576', () => {
    const limits = parseProcLimits(
      'Limit Soft Limit Hard Limit Units\nMax open files            1024                 20000                files\nMax core file size        0                    unlimited            bytes\n',
    );
    assert.deepEqual(limits, { RLIMIT_NOFILE: 20000, RLIMIT_CORE: Infinity });
    assert.deepEqual(clampRlimits(undefined, limits), [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
    assert.deepEqual(
      clampRlimits(
        [
          { Name: 'nofile', Soft: 100, Hard: 50000 },
          { Name: 'core', Soft: -1, Hard: -1 },
        ],
        limits,
      ),
      [
        { type: 'RLIMIT_NOFILE', soft: 100, hard: 20000 },
        { type: 'RLIMIT_CORE', soft: 'RLIM_INFINITY', hard: 'RLIM_INFINITY' },
      ],
    );
  });
});

describe('seccomp', () => {
  it('denies by default with EPERM and gates syscalls on capabilities', () => {
    const p = defaultSeccomp(DEFAULT_CAPS, 'x64');
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(p.defaultErrnoRet, 1);
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const allowed = (prof: typeof p) =>
      new Set(prof.syscalls.filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names));
    const a = allowed(p);
    for (const s of ['read', 'execve', 'arch_prctl', 'chroot']) assert.ok(a.has(s), s);
    for (const s of ['mount', 'unshare', 'reboot', 'kexec_load', 'bpf', 'clone']) assert.ok(!a.has(s), s);
    assert.ok(p.syscalls.some((s) => s.names.includes('clone3') && s.errnoRet === 38));
    assert.ok(p.syscalls.some((s) => s.names.includes('clone') && s.args?.[0].op === 'SCMP_CMP_MASKED_EQ'));
    const admin = defaultSeccomp([...DEFAULT_CAPS, 'CAP_SYS_ADMIN'], 'x64');
    assert.ok(allowed(admin).has('mount'));
    assert.ok(!admin.syscalls.some((s) => s.names.includes('clone3') && s.errnoRet === 38));
  });
});

describe('OCI config', () => {
  it('has Docker’s defaults', () => {
    const s = buildSpec(spec(), facts);
    assert.deepEqual(s.process.args, ['nginx', '-g', 'daemon off;']);
    assert.equal(s.process.cwd, '/');
    assert.deepEqual(s.process.env, [
      `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      'HOSTNAME=h1',
      'A=1',
      'HOME=/root',
    ]);
    assert.deepEqual(s.process.capabilities!.bounding, DEFAULT_CAPS);
    assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
    assert.equal(s.hostname, 'h1');
    const dests = s.mounts.map((m) => m.destination);
    assert.deepEqual(dests, [
      '/proc',
      '/dev',
      '/dev/pts',
      '/sys',
      '/sys/fs/cgroup',
      '/dev/mqueue',
      '/dev/shm',
      '/etc/resolv.conf',
      '/etc/hostname',
      '/etc/hosts',
    ]);
    assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')!.options.includes('size=67108864'));
    assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options.includes('ro'));
    assert.deepEqual(
      s.linux.namespaces.map((n) => n.type),
      ['mount', 'pid', 'ipc', 'uts', 'network'],
    );
    assert.equal(s.linux.cgroupsPath, '/berth/c1');
    assert.deepEqual(s.linux.maskedPaths, DEFAULT_MASKED_PATHS);
    assert.ok(s.linux.seccomp);
    assert.deepEqual(s.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
  });

  it('maps resources, namespaces, init, tty, read-only and sysctls', () => {
    const s = buildSpec(
      spec({
        tty: true,
        init: true,
        readonlyRootfs: true,
        netns: 'host',
        pidMode: 'host',
        ipcMode: '/proc/9/ns/ipc',
        sysctls: { 'net.core.somaxconn': '1024' },
        resources: {
          memory: 1 << 26,
          nanoCpus: 1.5e9,
          cpuShares: 512,
          pidsLimit: 100,
          cpusetCpus: '0',
          shmSize: 1 << 20,
        },
        mounts: [
          { source: '/v', destination: '/data', type: 'bind', options: ['rbind'] },
          { source: '/w', destination: '/data/sub', type: 'bind', options: ['rbind'] },
        ],
      }),
      facts,
    );
    assert.deepEqual(s.process.args.slice(0, 3), ['/sbin/docker-init', '--', 'nginx']);
    assert.ok(
      s.mounts.some((m) => m.destination === '/sbin/docker-init' && m.source === '/usr/bin/tini-static'),
    );
    assert.ok(s.process.env.includes('TERM=xterm'));
    assert.equal(s.process.terminal, true);
    assert.equal(s.root.readonly, true);
    assert.deepEqual(s.linux.namespaces, [
      { type: 'mount' },
      { type: 'ipc', path: '/proc/9/ns/ipc' },
      { type: 'uts' },
    ]);
    assert.deepEqual(s.linux.resources.memory, { limit: 1 << 26, swap: 1 << 27 });
    assert.deepEqual(s.linux.resources.cpu, { shares: 512, period: 100000, quota: 150000, cpus: '0' });
    assert.deepEqual(s.linux.resources.pids, { limit: 100 });
    assert.deepEqual(s.linux.sysctl, { 'net.core.somaxconn': '1024' });
    assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')!.options.includes('size=1048576'));
    const dests = s.mounts.map((m) => m.destination);
    assert.ok(dests.indexOf('/data') < dests.indexOf('/data/sub'));
  });

  it('maps the extra resource knobs and --device', () => {
    const s = buildSpec(
      spec({
        resources: { memoryReservation: 1000, memorySwappiness: 10, oomKillDisable: true, blkioWeight: 300 },
        oomScoreAdj: 500,
        devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/mynull', cgroupPermissions: 'rw' }],
      }),
      facts,
    );
    assert.deepEqual(s.linux.resources.memory, { reservation: 1000, swappiness: 10, disableOOMKiller: true });
    assert.deepEqual(s.linux.resources.blockIO, { weight: 300 });
    assert.equal((s.process as Record<string, unknown>).oomScoreAdj, 500);
    assert.deepEqual(s.linux.resources.devices, [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
    ]);
    assert.deepEqual(
      (s.linux.devices as { path: string; major: number }[]).map((d) => [d.path, d.major]),
      [['/dev/mynull', 1]],
    );
    assert.throws(
      () =>
        buildSpec(
          spec({ devices: [{ pathOnHost: '/dev/nope', pathInContainer: '', cgroupPermissions: 'rwm' }] }),
          facts,
        ),
      /error gathering device information while adding custom device "\/dev\/nope"/,
    );
  });

  it('privileged: all caps, no masks, no seccomp, host devices, rw sysfs', () => {
    const s = buildSpec(spec({ privileged: true }), facts);
    assert.deepEqual(s.process.capabilities!.bounding, ALL_CAPS);
    assert.equal(s.linux.maskedPaths, undefined);
    assert.equal(s.linux.seccomp, undefined);
    assert.ok((s.linux.devices as { path: string }[]).some((d) => d.path === '/dev/null'));
    assert.ok(s.mounts.find((m) => m.destination === '/sys')!.options.includes('rw'));
  });

  it('honours seccomp=unconfined and no-new-privileges, and writes RLIM_INFINITY as uint64', () => {
    const s = buildSpec(
      spec({
        securityOpt: ['seccomp=unconfined', 'no-new-privileges'],
        resources: { ulimits: [{ Name: 'core', Soft: -1, Hard: -1 }] },
      }),
      { ...facts, hostHard: {} },
    );
    assert.equal(s.linux.seccomp, undefined);
    assert.equal(s.process.noNewPrivileges, true);
    assert.match(serializeSpec(s), /"soft": 18446744073709551615/);
  });

  it('rejects unknown capabilities and users with Docker’s messages', () => {
    assert.throws(
      () => buildSpec(spec({ capAdd: ['FOO'] }), facts),
      (e: Error) => e instanceof InvalidArgument && /unknown capability: "CAP_FOO"/.test(e.message),
    );
    assert.throws(() => buildSpec(spec({ user: 'ghost' }), facts), /unable to find user ghost/);
  });
});
