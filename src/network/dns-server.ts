// The embedded DNS server of user-defined networks: one UDP and one TCP
// listener on each network's gateway address, port 53. Names of containers
// on that network (names, aliases, short ids) are answered from memory;
// other names with a dot go to the host's resolvers; unknown single-label
// names are NXDOMAIN (never sent off the host).
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import {
  buildAnswer,
  parseQuery,
  RCODE_FORMERR,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  TYPE_A,
  type Question,
} from './dns-packet.js';

/** Addresses for `name` as seen by the client at `clientIp` asking the server on `listenIp`; null = not ours. */
export type Lookup = (listenIp: string, name: string, clientIp: string) => string[] | null;

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
}

export class EmbeddedDns {
  private readonly listeners = new Map<string, Listener>();
  private readonly upstreams: string[];

  constructor(
    private readonly lookup: Lookup,
    resolvConf = readOr('/etc/resolv.conf'),
  ) {
    this.upstreams = hostResolvers(resolvConf);
  }

  async listen(ip: string, port = 53): Promise<void> {
    if (this.listeners.has(ip)) return;
    const udp = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    udp.on('message', (msg, rinfo) => {
      void this.answer(ip, msg, rinfo.address).then((out) => {
        if (out) udp.send(out, rinfo.port, rinfo.address);
      });
    });
    udp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, ip, () => resolve());
    });
    const tcp = net.createServer((sock) => this.serveTcp(ip, sock));
    tcp.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, ip, () => resolve());
    }).catch((e) => {
      udp.close();
      throw e;
    });
    this.listeners.set(ip, { udp, tcp });
  }

  async close(ip?: string): Promise<void> {
    for (const [k, l] of this.listeners) {
      if (ip !== undefined && k !== ip) continue;
      this.listeners.delete(k);
      l.udp.close();
      await new Promise<void>((r) => l.tcp.close(() => r()));
    }
  }

  listening(): string[] {
    return [...this.listeners.keys()];
  }

  address(ip: string): { udp: number; tcp: number } | null {
    const l = this.listeners.get(ip);
    if (!l) return null;
    return { udp: l.udp.address().port, tcp: (l.tcp.address() as net.AddressInfo).port };
  }

  /** The reply to one query, or null to stay silent (unparseable). */
  async answer(listenIp: string, msg: Buffer, clientIp = ''): Promise<Buffer | null> {
    let q: Question | null;
    try {
      q = parseQuery(msg);
    } catch {
      q = null;
    }
    if (!q) return msg.length >= 12 ? formErr(msg) : null;
    const name = q.name.replace(/\.$/, '');
    const ips = this.lookup(listenIp, name, clientIp);
    if (ips) {
      // Known names: A records (rotated for round-robin), other types answer empty.
      if (q.type !== TYPE_A) return buildAnswer(msg, q, []);
      const start = ips.length ? Math.floor(Math.random() * ips.length) : 0;
      return buildAnswer(msg, q, [...ips.slice(start), ...ips.slice(0, start)]);
    }
    if (!name.includes('.') || this.upstreams.length === 0) return buildAnswer(msg, q, [], RCODE_NXDOMAIN);
    return (await this.forward(msg)) ?? buildAnswer(msg, q, [], RCODE_SERVFAIL);
  }

  private forward(msg: Buffer): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      const done = (v: Buffer | null): void => {
        clearTimeout(t);
        s.close();
        resolve(v);
      };
      const t = setTimeout(() => done(null), 3000);
      s.on('error', () => done(null));
      s.on('message', (reply) => done(reply));
      s.send(msg, 53, this.upstreams[0]);
    });
  }

  private serveTcp(ip: string, sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 70_000) return sock.destroy();
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(ip, Buffer.from(msg), sock.remoteAddress?.replace(/^::ffff:/, '') ?? '').then(
          (out) => {
            if (!out || sock.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            sock.write(Buffer.concat([len, out]));
          },
        );
      }
    });
  }
}

function formErr(msg: Buffer): Buffer {
  const out = Buffer.alloc(12);
  msg.copy(out, 0, 0, 2);
  out.writeUInt16BE(0x8000 | RCODE_FORMERR, 2);
  return out;
}

/** Non-loopback nameservers of the host (a container's queries cannot reach the host's 127.x resolvers). */
export function hostResolvers(resolvConf: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m && !m[1].startsWith('127.')) out.push(m[1]);
  }
  return out;
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
