// Client side of conmon's attach socket (`<dir>/attach`, SOCK_SEQPACKET).
// Each packet conmon sends starts with one byte naming the stream
// (2 = stdout, 3 = stderr); what we send is raw stdin. Half-closing our side
// tells conmon stdin ended (it closes the container's stdin unless it was
// started with --leave-stdin-open).
import { PassThrough, Writable } from 'node:stream';
import { createRequire } from 'node:module';
import type { SeqpacketSocket as SeqpacketSocketType } from 'node-unix-socket';
import type { AttachStreams } from './types.js';

// Loaded lazily so that berthd starts (and unit tests run) without the addon.
const requireCjs = createRequire(import.meta.url);
function seqpacket(): typeof SeqpacketSocketType {
  return (requireCjs('node-unix-socket') as { SeqpacketSocket: typeof SeqpacketSocketType }).SeqpacketSocket;
}

const STDOUT = 2;
const STDERR = 3;
/** conmon reads stdin packets into a buffer of this size. */
const MAX_PACKET = 8192;

/** A monitor connection that can be ended once the monitor is known to be gone. */
export interface MonitorConnection extends AttachStreams {
  /**
   * The monitor process has exited: everything it sent is already queued on
   * our socket. Ends the streams at EOF, or after `quietMs` without a packet
   * when EOF never shows (the socket layer does not always report it, which
   * left `run --rm` clients waiting until a keep-alive timeout).
   */
  closeWhenQuiet(quietMs: number): void;
}

export function connectAttach(socketPath: string, opts: { stdin: boolean }): Promise<MonitorConnection> {
  const Sock = seqpacket();
  return new Promise((resolve, reject) => {
    const sock: SeqpacketSocketType = new Sock();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let open = true;
    let connected = false;
    let lastPacket = Date.now();
    let quietTimer: NodeJS.Timeout | undefined;
    const destroy = () => {
      try {
        sock.destroy();
      } catch {
        /* already closed */
      }
    };
    const finish = () => {
      if (quietTimer) clearTimeout(quietTimer);
      quietTimer = undefined;
      if (!open) return;
      open = false;
      stdout.end();
      stderr.end();
      // Nothing more can come: free the descriptor (it was kept until berthd exited).
      if (connected) setImmediate(destroy);
    };
    sock.on('data', (buf: Buffer) => {
      lastPacket = Date.now();
      if (buf.length < 1) return;
      const body = buf.subarray(1);
      if (buf[0] === STDOUT) stdout.write(body);
      else if (buf[0] === STDERR) stderr.write(body);
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (err: Error) => {
      if (!connected) reject(err);
      finish();
    });
    try {
      sock.connect(socketPath, () => {
        connected = true;
        const stdin = opts.stdin
          ? new Writable({
              write(chunk: Buffer, _enc, cb) {
                if (!open) return cb();
                for (let i = 0; i < chunk.length; i += MAX_PACKET) {
                  const part = chunk.subarray(i, i + MAX_PACKET);
                  if (i + MAX_PACKET >= chunk.length) sock.write(part, 0, part.length, () => cb());
                  else sock.write(part);
                }
                if (chunk.length === 0) cb();
              },
              final(cb) {
                if (open) sock.end(() => cb());
                else cb();
              },
            })
          : undefined;
        resolve({
          stdin,
          stdout,
          stderr,
          close() {
            finish();
            destroy();
          },
          closeWhenQuiet(quietMs: number) {
            if (!open || quietTimer) return;
            const check = (): void => {
              const idle = Date.now() - lastPacket;
              // setImmediate: runs after this loop turn's I/O, so packets already readable are taken first.
              if (idle >= quietMs) setImmediate(() => (Date.now() - lastPacket >= quietMs ? finish() : arm()));
              else arm(quietMs - idle);
            };
            const arm = (ms = quietMs): void => {
              if (open) quietTimer = setTimeout(check, ms);
            };
            lastPacket = Date.now();
            arm();
          },
        });
      });
    } catch (err) {
      reject(err);
    }
  });
}
