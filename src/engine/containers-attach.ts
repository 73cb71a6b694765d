// Attach: connects a hijacked client connection to a container's stdio via
// the runtime's monitor. Attaching to a container that is not running yet
// (docker run: attach, wait, start) hooks in between create and start so no
// output is lost.
import type { Hijacked } from '../api/context.js';
import { Conflict, InvalidArgument } from '../api/errors.js';
import { DetachWatcher, framer, parseDetachKeys, DEFAULT_DETACH_KEYS, STDERR, STDOUT } from '../api/streams.js';
import type { AttachStreams } from '../runtime/types.js';
import type { ContainerService } from './containers.js';
import type { ContainerRecord } from './containers-model.js';
import { readLogs } from '../runtime/logs.js';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  stream: boolean;
  logs: boolean;
  detachKeys?: string;
}

export class Attacher {
  constructor(private readonly svc: ContainerService) {}

  /** Checks that can still be answered with an HTTP error, before the connection is hijacked. */
  precheck(ref: string, opts: AttachOptions): { c: ContainerRecord; keys: Buffer } {
    const c = this.svc.find(ref);
    if (c.state.Paused) throw new Conflict(`container ${ref} is paused, unpause the container before attach`);
    if (c.state.Restarting) throw new Conflict(`container ${ref} is restarting, wait until the container is running`);
    let keys: Buffer;
    try {
      keys = parseDetachKeys(opts.detachKeys || DEFAULT_DETACH_KEYS);
    } catch (e) {
      throw new InvalidArgument((e as Error).message);
    }
    return { c, keys };
  }

  async attach(c: ContainerRecord, keys: Buffer, opts: AttachOptions, conn: Hijacked, multiplexed: boolean): Promise<void> {
    const write = framer((b) => conn.output.write(b), multiplexed);
    if (opts.logs) {
      for await (const r of readLogs(this.svc.paths(c.id).log, { stdout: opts.stdout, stderr: opts.stderr }))
        write(r.stream === 'stdout' ? STDOUT : STDERR, r.data);
    }
    if (!opts.stream) return conn.end();
    this.svc.publish(c, 'attach');

    const connect = async (): Promise<void> => {
      const streams = await this.svc.runtime.attach(c.id, { stdin: opts.stdin && c.config.OpenStdin });
      this.pump(c, streams, keys, opts, conn, write);
    };
    if (c.state.Running) {
      await connect().catch(() => conn.end());
      return;
    }
    // Not running yet: connect between runtime create and start.
    const hooks = this.svc.lifecycle.hooks.beforeStart;
    const list = hooks.get(c.id) ?? [];
    const hook = { connect, abort: () => conn.end() };
    list.push(hook);
    hooks.set(c.id, list);
    const drop = (): void => {
      const l = hooks.get(c.id);
      if (l) hooks.set(c.id, l.filter((h) => h !== hook));
    };
    conn.output.once('close', drop);
    // A client that only attaches (no start coming) is kept until it hangs up, like dockerd.
  }

  private pump(
    c: ContainerRecord,
    s: AttachStreams,
    keys: Buffer,
    opts: AttachOptions,
    conn: Hijacked,
    write: ReturnType<typeof framer>,
  ): void {
    let open = 0;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      s.close();
      conn.end();
    };
    const wire = (src: NodeJS.ReadableStream | undefined, id: 1 | 2, wanted: boolean): void => {
      if (!src) return;
      open++;
      src.on('data', (chunk: Buffer) => {
        if (wanted && !conn.output.destroyed && !write(id, chunk)) {
          src.pause();
          conn.output.once('drain', () => src.resume());
        }
      });
      const done = (): void => {
        if (--open === 0) finish();
      };
      src.once('end', done);
      src.once('error', done);
    };
    wire(s.stdout, STDOUT, opts.stdout);
    wire(s.stderr, STDERR, opts.stderr);
    if (open === 0) finish();

    if (opts.stdin && s.stdin) {
      const stdin = s.stdin;
      const watcher = new DetachWatcher(keys);
      conn.input.on('data', (chunk: Buffer) => {
        const { forward, detached } = watcher.feed(chunk);
        if (forward.length) stdin.write(forward);
        if (detached) {
          this.svc.publish(c, 'detach');
          finish();
        }
      });
      // The CLI half-closes after stdin EOF. As dockerd: without a TTY, StdinOnce closes the
      // container's stdin; with a TTY, stdin stays open and only this session ends (the other
      // clients and a later attach keep typing into it). The EOF may have come before the
      // container was started (docker run -i < /dev/null).
      const onEnd = (): void => {
        if (c.config.Tty) finish();
        else if (c.config.StdinOnce) stdin.end();
      };
      if (conn.input.readableEnded) onEnd();
      else conn.input.once('end', onEnd);
    }
    // A client that hangs up without EOF: dockerd closes a StdinOnce container's stdin too (no TTY).
    const hangUp = (): void => {
      if (!finished && s.stdin && !c.config.Tty && c.config.StdinOnce) s.stdin.end();
      finish();
    };
    conn.output.once('close', hangUp);
    conn.input.once('error', hangUp);
  }
}
