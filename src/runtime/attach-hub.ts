// One connection per running container to conmon's attach socket, shared by
// every attached client. conmon closes the container's stdin as soon as ANY
// attach connection ends (unless it runs with --leave-stdin-open), so a client
// that detached with ctrl-p ctrl-q would leave the next `docker attach` with a
// dead stdin. Here only berthd holds a connection: output is fanned out to the
// clients, their stdin is written into the one connection, and the connection
// is half-closed (container stdin closed) only when a client ends its stdin —
// which the engine asks for under StdinOnce. The connection ends when the
// monitor closes it (the container exited); berthd's own exit closes it too.
import { PassThrough, Writable } from 'node:stream';
import type { MonitorConnection } from './attach.js';
import type { AttachStreams } from './types.js';

type Connect = () => Promise<MonitorConnection>;

/** After the monitor exited: how long a connection may stay silent before it is ended without EOF. */
const QUIET_AFTER_EXIT_MS = 300;

interface Client {
  stdout: PassThrough;
  stderr: PassThrough;
}

/** The shared connection of one container and its attached clients. */
class SharedAttach {
  readonly clients = new Set<Client>();
  private ended = false;
  private stdinClosed = false;

  constructor(
    private readonly conn: MonitorConnection,
    onGone: () => void,
  ) {
    this.fan(conn.stdout, 'stdout');
    if (conn.stderr) this.fan(conn.stderr, 'stderr');
    let open = conn.stderr ? 2 : 1;
    const done = (): void => {
      if (--open > 0) return;
      this.ended = true;
      onGone();
      for (const c of this.clients) this.drop(c);
    };
    conn.stdout.once('end', done);
    conn.stderr?.once('end', done);
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Copies one stream to every client; a slow client holds the source back (back-pressure, as dockerd). */
  private fan(src: NodeJS.ReadableStream, which: 'stdout' | 'stderr'): void {
    src.on('data', (chunk: Buffer) => {
      let waiting = 0;
      for (const c of this.clients) {
        const out = c[which];
        if (out.writableEnded || out.write(chunk)) continue;
        waiting++;
        out.once('drain', () => {
          if (--waiting === 0) src.resume();
        });
      }
      if (waiting > 0) src.pause();
    });
  }

  add(withStdin: boolean, closeStdinOnEnd: boolean): AttachStreams {
    const client: Client = { stdout: new PassThrough(), stderr: new PassThrough() };
    if (this.ended) {
      client.stdout.end();
      client.stderr.end();
    } else this.clients.add(client);
    const shared = this.conn.stdin;
    const stdin =
      withStdin && shared
        ? new Writable({
            write: (chunk: Buffer, _enc, cb) => {
              if (this.ended || this.stdinClosed || !this.clients.has(client)) return cb();
              shared.write(chunk, () => cb());
            },
            // A client's EOF closes the container's stdin (the engine ends it only for StdinOnce).
            final: (cb) => {
              if (closeStdinOnEnd && !this.stdinClosed && !this.ended && this.clients.has(client)) {
                this.stdinClosed = true;
                shared.end();
              }
              cb();
            },
          })
        : undefined;
    return { stdin, stdout: client.stdout, stderr: client.stderr, close: () => this.drop(client) };
  }

  /** Detaches one client; the shared connection (and so the container's stdin) stays. */
  drop(c: Client): void {
    this.clients.delete(c);
    c.stdout.end();
    c.stderr.end();
  }

  close(): void {
    this.conn.close();
  }

  /** The monitor exited: end at EOF, or once the last queued output is read. */
  monitorGone(): void {
    this.conn.closeWhenQuiet(QUIET_AFTER_EXIT_MS);
  }
}

export class AttachHub {
  private readonly shared = new Map<string, Promise<SharedAttach>>();

  /** A client session on container `id`; `connect` opens the monitor connection when none is open. */
  async attach(id: string, connect: Connect, opts: { stdin: boolean; closeStdinOnEnd: boolean }): Promise<AttachStreams> {
    let pending = this.shared.get(id);
    if (pending) {
      const s = await pending.catch(() => null);
      if (!s || !s.alive) {
        if (this.shared.get(id) === pending) this.shared.delete(id);
        pending = undefined;
      }
    }
    if (!pending) {
      pending = connect().then(
        (conn) =>
          new SharedAttach(conn, () => {
            if (this.shared.get(id) === pending) this.shared.delete(id);
          }),
      );
      this.shared.set(id, pending);
      pending.catch(() => {
        if (this.shared.get(id) === pending) this.shared.delete(id);
      });
    }
    return (await pending).add(opts.stdin, opts.closeStdinOnEnd);
  }

  /** Number of open monitor connections (tests, memory checks). */
  get size(): number {
    return this.shared.size;
  }

  /**
   * Forgets the connection of a container whose process is gone, so a new run
   * gets a new one. It is not closed at once (closing it first could cut a
   * fast exit's output): call the returned function once the monitor process
   * has exited, and the connection ends at its EOF or, should that EOF never
   * be reported, once its last queued output is read. Attached clients
   * (`docker run`) wait for that end; a lost EOF kept them waiting until their
   * connection timed out (~60 s).
   */
  forget(id: string): () => void {
    const pending = this.shared.get(id);
    this.shared.delete(id);
    return () => void pending?.then((s) => s.monitorGone()).catch(() => undefined);
  }

  /** Daemon shutdown: close every connection. */
  closeAll(): void {
    for (const s of this.shared.values()) void s.then((x) => x.close()).catch(() => undefined);
    this.shared.clear();
  }
}
