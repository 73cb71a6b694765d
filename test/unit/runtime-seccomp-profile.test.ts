import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveSeccompProfile } from '../../src/runtime/seccomp-profile.js';
import { InvalidArgument } from '../../src/api/errors.js';

const dockerProfile = JSON.stringify({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { name: 'getpid', action: 'SCMP_ACT_ALLOW' },
    { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
    { names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '99.0' } },
    {
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 40, valueTwo: 0, op: 'SCMP_CMP_NE' }],
    },
  ],
});

describe('user seccomp profiles', () => {
  it('resolves Docker’s includes/excludes, archMap and single names for one container', () => {
    const p = resolveSeccompProfile(dockerProfile, ['CAP_CHOWN'], 'x64', '6.1.0-18-amd64');
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(p.defaultErrnoRet, 1);
    assert.deepEqual(p.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const names = p.syscalls.map((s) => s.names.join(','));
    assert.deepEqual(names, ['read,write', 'getpid', 'clone3', 'arch_prctl', 'socket']);
    assert.equal(p.syscalls[2].errnoRet, 38);
    const admin = resolveSeccompProfile(dockerProfile, ['CAP_SYS_ADMIN'], 'arm64', '6.1.0');
    assert.deepEqual(
      admin.syscalls.map((s) => s.names.join(',')),
      ['read,write', 'getpid', 'mount', 'socket'],
    );
    assert.deepEqual(admin.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  });

  it('passes an OCI-shaped profile through and rejects garbage', () => {
    const oci = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
    };
    assert.deepEqual(resolveSeccompProfile(JSON.stringify(oci), [], 'x64'), oci);
    assert.throws(
      () => resolveSeccompProfile('{nope', [], 'x64'),
      (e: Error) => e instanceof InvalidArgument && /Decoding seccomp profile failed/.test(e.message),
    );
  });
});
