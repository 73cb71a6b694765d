// The embedded DNS server: A answers for known names (rotated), empty answers
// for other types, NXDOMAIN for unknown single labels, FORMERR or silence for
// malformed packets (fuzzed), and sub-millisecond answers on loopback.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import {
  answerIps,
  buildQuery,
  parseQuery,
  RCODE_NXDOMAIN,
  TYPE_AAAA,
} from '../../src/network/dns-packet.js';
import { EmbeddedDns, hostResolvers } from '../../src/network/dns-server.js';

const names: Record<string, string[]> = { web: ['10.9.0.2'], pool: ['10.9.0.3', '10.9.0.4'] };

describe('network dns', () => {
  const dns = new EmbeddedDns((_ip, name) => names[name] ?? null, 'nameserver 127.0.0.53\n');
  let port = 0;
  const sock = dgram.createSocket('udp4');
  const ask = (q: Buffer): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer')), 2000);
      sock.once('message', (m) => {
        clearTimeout(t);
        resolve(m);
      });
      sock.send(q, port, '127.0.0.1');
    });

  before(async () => {
    await dns.listen('127.0.0.1', 0);
    port = dns.address('127.0.0.1')!.udp;
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    sock.close();
    await dns.close();
  });

  it('answers A records for names, all addresses of a shared alias', async () => {
    const a = answerIps(await ask(buildQuery(7, 'web')));
    assert.deepEqual(a, { rcode: 0, ips: ['10.9.0.2'] });
    const p = answerIps(await ask(buildQuery(8, 'POOL.')));
    assert.deepEqual(p.ips.sort(), ['10.9.0.3', '10.9.0.4']);
  });

  it('answers other types of known names empty, unknown single labels NXDOMAIN', async () => {
    assert.deepEqual(answerIps(await ask(buildQuery(9, 'web', TYPE_AAAA))), { rcode: 0, ips: [] });
    assert.equal(answerIps(await ask(buildQuery(10, 'nosuch'))).rcode, RCODE_NXDOMAIN);
  });

  it('keeps the query id and question', async () => {
    const out = await ask(buildQuery(0xbeef, 'web'));
    assert.equal(out.readUInt16BE(0), 0xbeef);
    assert.equal(
      parseQuery(Buffer.concat([out.subarray(0, 2), Buffer.from([1, 0]), out.subarray(4)]))?.name,
      'web',
    );
  });

  it('survives malformed packets (fuzz) and still answers afterwards', async () => {
    const base = buildQuery(1, 'web');
    for (let i = 0; i < 3000; i++) {
      const kind = i % 3;
      let pkt: Buffer;
      if (kind === 0) pkt = randomBytes(Math.floor(Math.random() * 80));
      else if (kind === 1) pkt = base.subarray(0, Math.floor(Math.random() * base.length));
      else {
        pkt = Buffer.from(base);
        for (let j = 0; j < 3; j++)
          pkt[Math.floor(Math.random() * pkt.length)] = Math.floor(Math.random() * 256);
      }
      const out = await dns.answer('127.0.0.1', pkt);
      if (out) assert.ok(out.length >= 12);
    }
    // Compression loops and oversized labels are refused, not followed.
    const loop = Buffer.from(base);
    loop[12] = 0xc0;
    loop[13] = 12;
    assert.equal(parseQuery(loop), null);
    assert.deepEqual(answerIps(await ask(buildQuery(2, 'web'))).ips, ['10.9.0.2']);
  });

  it('answers within a millisecond on loopback (median of 200)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = process.hrtime.bigint();
      await ask(buildQuery(i, 'web'));
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    assert.ok(times[100] < 1, `median ${times[100].toFixed(3)} ms`);
  });

  it('forwards only to resolvers a container can reach', () => {
    assert.deepEqual(
      hostResolvers('nameserver 127.0.0.53\nnameserver 10.255.255.53\n# x\nnameserver ::1\n'),
      ['10.255.255.53'],
    );
  });
});
