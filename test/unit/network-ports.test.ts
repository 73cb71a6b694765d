// Port publishing rules: requests from PortBindings and -P, random ports in
// the ephemeral range, the "port is already allocated" check against a real
// listener, and the inspect/ps JSON shapes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  ephemeralRange,
  PortAllocator,
  portRequests,
  portsJson,
  portsSummary,
} from '../../src/network/ports.js';
import { portRules } from '../../src/network/iptables.js';

describe('network ports', () => {
  it('turns bindings and -P into requests', () => {
    const r = portRequests(
      { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      { '443/tcp': {}, '80/tcp': {} },
      true,
    );
    assert.deepEqual(r, [
      { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPorts: [8080, 8080] },
      { proto: 'udp', containerPort: 53, hostIp: '127.0.0.1', hostPorts: [0, 0] },
      { proto: 'tcp', containerPort: 443, hostIp: '0.0.0.0', hostPorts: [0, 0] },
    ]);
    assert.throws(() => portRequests({ '99999/tcp': [{}] }, null, false), /invalid port specification/);
  });

  it("picks random ports in the ephemeral range and refuses a taken port with Docker's text", async () => {
    const a = new PortAllocator();
    const [lo, hi] = ephemeralRange();
    const got = await a.allocate('c1', 'web', [
      { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPorts: [0, 0] },
    ]);
    assert.ok(got[0].hostPort >= lo && got[0].hostPort <= hi);
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '0.0.0.0', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        a.allocate('c2', 'web2', [
          { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPorts: [port, port] },
        ]),
        new RegExp(
          `driver failed programming external connectivity on endpoint web2 \\(c2\\): Bind for 0.0.0.0:${port} failed: port is already allocated`,
        ),
      );
      // A port berth itself published (held only by DNAT) also counts as taken.
      await assert.rejects(
        a.allocate('c3', 'web3', [
          {
            proto: 'tcp',
            containerPort: 80,
            hostIp: '0.0.0.0',
            hostPorts: [got[0].hostPort, got[0].hostPort],
          },
        ]),
        /port is already allocated/,
      );
      a.release('c1');
      const again = await a.allocate('c3', 'web3', [
        {
          proto: 'tcp',
          containerPort: 80,
          hostIp: '127.0.0.1',
          hostPorts: [got[0].hostPort, got[0].hostPort],
        },
      ]);
      assert.equal(again[0].hostPort, got[0].hostPort);
    } finally {
      srv.close();
    }
  });

  it('shows ports as inspect and ps do', () => {
    const mapped = [{ proto: 'tcp' as const, containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 }];
    assert.deepEqual(portsJson({ '80/tcp': {}, '443/tcp': {} }, { '80/tcp': [] }, mapped), {
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
      '443/tcp': null,
    });
    assert.deepEqual(portsSummary({ '443/tcp': {} }, mapped), [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
    ]);
  });

  it('writes DNAT rules that only match the bound address', () => {
    const rules = portRules({
      bridge: 'br0',
      containerIp: '10.9.0.2',
      proto: 'tcp',
      hostIp: '127.0.0.1',
      hostPort: 8080,
      containerPort: 80,
    });
    assert.equal(
      rules[0].args,
      '-d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.9.0.2:80',
    );
    const any = portRules({
      bridge: 'br0',
      containerIp: '10.9.0.2',
      proto: 'udp',
      hostIp: '0.0.0.0',
      hostPort: 53,
      containerPort: 53,
    });
    assert.equal(any[0].args, '-p udp -m udp --dport 53 -j DNAT --to-destination 10.9.0.2:53');
  });
});
