// IPAM rules: CIDR parsing, overlap, pool choice that avoids host routes and
// docker0, sequential allocation honouring gateway, ip-range and static --ip.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cidrString, ipString, overlaps, parseCidr, parseIp } from '../../src/network/cidr.js';
import { addressSpace, allocateIp, checkNoOverlap, chooseSubnet, macFor } from '../../src/network/ipam.js';

describe('network cidr', () => {
  it('parses and prints addresses and subnets', () => {
    assert.equal(ipString(parseIp('10.89.3.7')), '10.89.3.7');
    assert.equal(cidrString(parseCidr('10.89.0.0/16')), '10.89.0.0/16');
    assert.throws(
      () => parseCidr('10.89.0.1/16'),
      /invalid subnet 10.89.0.1\/16: it should be 10.89.0.0\/16/,
    );
    assert.throws(() => parseIp('10.300.0.1'), /invalid IP address/);
    assert.equal(cidrString(parseCidr('10.89.0.1/16', true)), '10.89.0.0/16');
  });
  it('detects overlap in both directions', () => {
    assert.ok(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.89.1.0/24')));
    assert.ok(overlaps(parseCidr('10.89.1.0/24'), parseCidr('10.0.0.0/8')));
    assert.ok(!overlaps(parseCidr('10.89.1.0/24'), parseCidr('10.89.2.0/24')));
  });
});

describe('network ipam', () => {
  it('chooses the first pool subnet clear of taken ones and of docker0', () => {
    const taken = [parseCidr('10.89.0.0/24'), parseCidr('10.89.1.0/25')];
    assert.equal(cidrString(chooseSubnet([{ base: '10.89.0.0/16', size: 24 }], taken)), '10.89.2.0/24');
    assert.equal(cidrString(chooseSubnet([{ base: '172.16.0.0/12', size: 16 }], [])), '172.16.0.0/16');
    assert.equal(
      cidrString(
        chooseSubnet(
          [
            { base: '172.17.0.0/16', size: 24 },
            { base: '10.1.0.0/16', size: 24 },
          ],
          [],
        ),
      ),
      '10.1.0.0/24',
    );
    assert.throws(
      () => chooseSubnet([{ base: '10.89.0.0/23', size: 24 }], [parseCidr('10.89.0.0/23')]),
      /could not find an available, non-overlapping IPv4 address pool/,
    );
  });
  it("refuses overlapping user subnets with Docker's text", () => {
    assert.throws(
      () => checkNoOverlap(parseCidr('10.0.0.0/8'), [parseCidr('10.89.0.0/24')]),
      /Pool overlaps with other one on this address space/,
    );
  });
  it('allocates sequentially, skipping network, gateway, broadcast and used addresses', () => {
    const space = addressSpace('10.9.0.0/29', '10.9.0.1');
    const used = new Set<number>();
    const got: string[] = [];
    for (let i = 0; i < 5; i++) {
      const ip = allocateIp(space, used);
      used.add(ip);
      got.push(ipString(ip));
    }
    assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    assert.throws(() => allocateIp(space, used), /no available IPv4 addresses/);
  });
  it('honours the ip-range and a static address', () => {
    const space = addressSpace('10.9.0.0/24', '10.9.0.254', '10.9.0.128/25');
    assert.equal(ipString(allocateIp(space, new Set())), '10.9.0.128');
    assert.equal(ipString(allocateIp(space, new Set(), '10.9.0.7')), '10.9.0.7');
    assert.throws(
      () => allocateIp(space, new Set([parseIp('10.9.0.7')]), '10.9.0.7'),
      /Address already in use/,
    );
    assert.throws(
      () => allocateIp(space, new Set(), '10.10.0.7'),
      /no configured subnet or ip-range contain the IP address 10.10.0.7/,
    );
  });
  it("derives Docker's MAC from the address", () => {
    assert.equal(macFor(parseIp('172.17.0.2')), '02:42:ac:11:00:02');
  });
});
