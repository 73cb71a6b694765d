// Exec sessions: `docker exec` creates one (POST /containers/{id}/exec),
// starts it attached or detached, resizes it and inspects its exit code.
// Sessions live in memory, like dockerd's; they go with their container.
import type { Hijacked } from '../api/context.js';
import { Conflict, InvalidArgument, NotFound } from '../api/errors.js';
import { framer, STDERR, STDOUT } from '../api/streams.js';
import type { ExecProcess } from '../runtime/types.js';
import type { ContainerService } from './containers.js';
import { newContainerId } from './containers-names.js';
import { execEventCommand } from './containers-health.js';

export interface ExecConfig {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd?: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

interface ExecSession {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  proc?: ExecProcess;
  pendingResize?: [number, number];
}

const MAX_PER_CONTAINER = 64;

export class ExecService {
  private readonly sessions = new Map<string, ExecSession>();

  constructor(private readonly containers: ContainerService) {
    // A container's exec sessions go when the container is removed.
    containers.lifecycle.hooks.onExited.push((c) => {
      for (const s of this.sessions.values()) if (s.containerId === c.id && !s.running) this.drop(s);
    });
  }

  private drop(s: ExecSession): void {
    this.sessions.delete(s.id);
    this.containers.execIds.get(s.containerId)?.delete(s.id);
  }

  private activeContainer(ref: string) {
    const c = this.containers.find(ref);
    if (c.state.Paused) throw new Conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (c.state.Restarting) throw new Conflict(`Container ${c.id} is restarting, wait until the container is running`);
    if (!c.state.Running) throw new Conflict(`container ${c.id} is not running`);
    return c;
  }

  create(ref: string, config: ExecConfig): { Id: string } {
    const c = this.activeContainer(ref);
    if (!config.Cmd || config.Cmd.length === 0) throw new InvalidArgument('No exec command specified');
    const id = newContainerId();
    const s: ExecSession = { id, containerId: c.id, config, running: false, started: false, exitCode: null, pid: 0 };
    this.sessions.set(id, s);
    const ids = this.containers.execIds.get(c.id) ?? new Set<string>();
    ids.add(id);
    this.containers.execIds.set(c.id, ids);
    // Keep the list bounded: forget the oldest finished sessions.
    if (ids.size > MAX_PER_CONTAINER)
      for (const old of ids) {
        const o = this.sessions.get(old);
        if (o && !o.running && o.started) {
          this.drop(o);
          if (ids.size <= MAX_PER_CONTAINER) break;
        }
      }
    this.containers.publish(c, `exec_create: ${execEventCommand(config.Cmd)}`, { execID: id });
    return { Id: id };
  }

  get(id: string): ExecSession {
    const s = this.sessions.get(id);
    if (!s) throw new NotFound(`No such exec instance: ${id}`);
    return s;
  }

  /** Checks done before the connection is hijacked, so they can still be HTTP errors. */
  precheck(id: string): ExecSession {
    const s = this.get(id);
    if (s.running) throw new Conflict(`Error: Exec command ${id} is already running`);
    if (s.started) throw new Conflict(`Error: Exec command ${id} has already run`);
    this.activeContainer(s.containerId);
    return s;
  }

  /**
   * Runs the session. With `conn` the streams are pumped over the hijacked
   * connection (framed unless `tty`); resolves when the process has exited
   * and its output is written.
   */
  async start(s: ExecSession, opts: { tty: boolean; conn?: Hijacked; multiplexed: boolean }): Promise<void> {
    const c = this.activeContainer(s.containerId);
    s.started = true;
    s.running = true;
    const cfg = s.config;
    const tty = opts.tty || !!cfg.Tty;
    let proc: ExecProcess;
    try {
      proc = await this.containers.runtime.exec(c.id, {
        args: cfg.Cmd ?? [],
        env: cfg.Env ?? [],
        cwd: cfg.WorkingDir || undefined,
        user: cfg.User || c.config.User || undefined,
        tty,
        privileged: !!cfg.Privileged,
        attachStdin: !!cfg.AttachStdin && !!opts.conn,
      });
    } catch (e) {
      s.running = false;
      s.exitCode = 126;
      const msg = (e as Error).message;
      if (/executable file not found|no such file or directory/i.test(msg)) s.exitCode = 127;
      if (opts.conn) {
        const w = framer((b) => opts.conn!.output.write(b), opts.multiplexed);
        w(STDOUT, `OCI runtime exec failed: ${msg}\r\n`);
        opts.conn.end();
        return;
      }
      throw new Conflict(`OCI runtime exec failed: ${msg}`);
    }
    s.proc = proc;
    s.pid = proc.pid;
    if (s.pendingResize) proc.resize(...s.pendingResize);
    else if (cfg.ConsoleSize?.[0]) proc.resize(cfg.ConsoleSize[0], cfg.ConsoleSize[1]);
    const cmd = execEventCommand(cfg.Cmd ?? []);
    this.containers.publish(c, `exec_start: ${cmd}`, { execID: s.id });

    const outputs: Promise<void>[] = [];
    if (opts.conn) {
      const conn = opts.conn;
      const write = framer((b) => conn.output.write(b), opts.multiplexed);
      const pump = (src: NodeJS.ReadableStream | undefined, id: 1 | 2, wanted: boolean): void => {
        if (!src) return;
        outputs.push(
          new Promise((resolve) => {
            src.on('data', (d: Buffer) => {
              if (wanted && !conn.output.destroyed) write(id, d);
            });
            src.once('end', () => resolve());
            src.once('error', () => resolve());
            src.once('close', () => resolve());
          }),
        );
      };
      pump(proc.stdout, STDOUT, cfg.AttachStdout !== false);
      pump(proc.stderr, STDERR, cfg.AttachStderr !== false);
      if (proc.stdin && cfg.AttachStdin) {
        const stdin = proc.stdin;
        conn.input.on('data', (d: Buffer) => stdin.write(d));
        if (conn.input.readableEnded) stdin.end();
        else conn.input.once('end', () => stdin.end());
        conn.input.once('error', () => stdin.end());
      }
    } else {
      proc.stdout.resume();
      proc.stderr?.resume();
    }
    const code = await proc.exited;
    await Promise.race([Promise.all(outputs), new Promise((r) => setTimeout(r, 2000))]);
    s.exitCode = code;
    s.running = false;
    s.pid = 0;
    this.containers.publish(c, 'exec_die', { execID: s.id, exitCode: String(code) });
    opts.conn?.end();
  }

  resize(id: string, h: number, w: number): void {
    const s = this.get(id);
    if (!s.proc || !s.running) {
      if (!s.started) {
        s.pendingResize = [h, w];
        return;
      }
      throw new Conflict(`Exec process ${id} is not running`);
    }
    s.proc.resize(h, w);
  }

  inspect(id: string): Record<string, unknown> {
    const s = this.get(id);
    const cmd = s.config.Cmd ?? [];
    return {
      ID: s.id,
      Running: s.running,
      ExitCode: s.exitCode,
      ProcessConfig: {
        tty: !!s.config.Tty,
        entrypoint: cmd[0] ?? '',
        arguments: cmd.slice(1),
        privileged: !!s.config.Privileged,
        ...(s.config.User ? { user: s.config.User } : {}),
      },
      OpenStdin: !!s.config.AttachStdin,
      OpenStderr: !!s.config.AttachStderr,
      OpenStdout: !!s.config.AttachStdout,
      CanRemove: !s.running && s.started,
      ContainerID: s.containerId,
      DetachKeys: s.config.DetachKeys ?? '',
      Pid: s.pid,
    };
  }
}
