// The few DNS wire-format pieces the embedded resolver needs (RFC 1035):
// read the header and first question, build answers. Every read is bounds
// checked; a packet that does not parse yields null and is dropped.

export interface Question {
  id: number;
  flags: number;
  name: string;
  type: number;
  cls: number;
  /** Byte offset just past the question (to copy it into the answer). */
  end: number;
}

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const RCODE_NXDOMAIN = 3;
export const RCODE_SERVFAIL = 2;
export const RCODE_FORMERR = 1;

export function parseQuery(buf: Buffer): Question | null {
  if (buf.length < 12 || buf.length > 4096) return null;
  const flags = buf.readUInt16BE(2);
  if (flags & 0x8000) return null; // a response, not a query
  if (buf.readUInt16BE(4) !== 1) return null; // exactly one question
  const labels: string[] = [];
  let off = 12;
  let total = 0;
  for (;;) {
    if (off >= buf.length) return null;
    const len = buf[off];
    if (len === 0) {
      off++;
      break;
    }
    if (len > 63) return null; // compression pointers do not belong in a question
    if (off + 1 + len > buf.length) return null;
    total += len + 1;
    if (total > 255) return null;
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
  if (off + 4 > buf.length) return null;
  return {
    id: buf.readUInt16BE(0),
    flags,
    name: labels.join('.').toLowerCase(),
    type: buf.readUInt16BE(off),
    cls: buf.readUInt16BE(off + 2),
    end: off + 4,
  };
}

/** An answer to `q` (copied from `query`) with A records for `ips`, or an error rcode. */
export function buildAnswer(query: Buffer, q: Question, ips: string[], rcode = 0, ttl = 600): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.id, 0);
  // QR, opcode copied, AA, RD copied, RA.
  head.writeUInt16BE(0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | (rcode & 0xf), 2);
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(ips.length, 6);
  const parts = [head, query.subarray(12, q.end)];
  for (const ip of ips) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((b, i) => rr.writeUInt8(Number(b) & 255, 12 + i));
    parts.push(rr);
  }
  return Buffer.concat(parts);
}

/** Builds a query (used by tests, benchmarks and the forwarder's health checks). */
export function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x0100, 2);
  head.writeUInt16BE(1, 4);
  const labels = name
    .split('.')
    .filter(Boolean)
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([head, ...labels, tail]);
}

/** The A records of an answer (tests). */
export function answerIps(buf: Buffer): { rcode: number; ips: string[] } {
  const rcode = buf.readUInt16BE(2) & 0xf;
  const q = parseQuery(Buffer.concat([buf.subarray(0, 2), Buffer.from([1, 0]), buf.subarray(4)]));
  if (!q) return { rcode, ips: [] };
  const ips: string[] = [];
  let off = q.end;
  for (let i = 0; i < buf.readUInt16BE(6) && off + 12 <= buf.length; i++) {
    const type = buf.readUInt16BE(off + 2);
    const len = buf.readUInt16BE(off + 10);
    if (type === TYPE_A && len === 4) ips.push([...buf.subarray(off + 12, off + 16)].join('.'));
    off += 12 + len;
  }
  return { rcode, ips };
}
