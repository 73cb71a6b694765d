// Compose's log view: each line prefixed with the container's short name
// (`web-1  | `), coloured per container on a terminal, lines from several
// containers interleaved as they arrive.
import type { Client } from '../client/client.js';

/** Compose's rainbow: cyan, yellow, green, magenta, blue, then their bright variants. */
const PALETTE = ['36', '33', '32', '35', '34', '1;36', '1;33', '1;32', '1;35', '1;34'];

/** The name Compose shows for a container: without the `<project>-` prefix. */
export function displayName(project: string, name: string): string {
  return name.startsWith(`${project}-`) ? name.slice(project.length + 1) : name;
}

export interface PrinterOptions {
  color: boolean;
  prefix: boolean;
}

export class LogPrinter {
  private width = 0;
  private readonly colours = new Map<string, string>();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly opts: PrinterOptions,
  ) {}

  /** Registers a container so prefixes line up; returns its display name. */
  register(name: string): void {
    this.width = Math.max(this.width, name.length);
    if (!this.colours.has(name)) this.colours.set(name, PALETTE[this.colours.size % PALETTE.length]);
  }

  private prefix(name: string): string {
    if (!this.opts.prefix) return '';
    const p = `${name.padEnd(this.width)}  | `;
    return this.opts.color ? `\x1b[${this.colours.get(name) ?? PALETTE[0]}m${p}\x1b[0m` : p;
  }

  line(name: string, text: string): void {
    this.out.write(this.prefix(name) + text + '\n');
  }

  /** A status line such as `web-1 exited with code 0`. */
  status(name: string, text: string): void {
    this.out.write(
      this.opts.color
        ? `\x1b[${this.colours.get(name) ?? PALETTE[0]}m${name} ${text}\x1b[0m\n`
        : `${name} ${text}\n`,
    );
  }
}

/** Splits a log stream (raw for TTY containers, framed otherwise) into lines. */
export class LineSplitter {
  private frame: Buffer = Buffer.alloc(0);
  private partial: Record<number, string> = {};

  constructor(
    private readonly tty: boolean,
    private readonly emit: (line: string, stream: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.tty) return this.text(chunk.toString('utf8'), 1);
    this.frame = this.frame.length ? Buffer.concat([this.frame, chunk]) : chunk;
    while (this.frame.length >= 8) {
      const size = this.frame.readUInt32BE(4);
      if (this.frame.length < 8 + size) break;
      this.text(this.frame.subarray(8, 8 + size).toString('utf8'), this.frame[0] === 2 ? 2 : 1);
      this.frame = this.frame.subarray(8 + size);
    }
  }

  private text(s: string, stream: number): void {
    const parts = ((this.partial[stream] ?? '') + s).split('\n');
    this.partial[stream] = parts.pop()!;
    for (const p of parts) this.emit(p.replace(/\r$/, ''), stream);
  }

  end(): void {
    for (const [stream, rest] of Object.entries(this.partial)) if (rest) this.emit(rest, Number(stream));
    this.partial = {};
  }
}

export interface FollowOptions {
  follow?: boolean;
  tail?: string;
  since?: string;
  until?: string;
  timestamps?: boolean;
  signal?: AbortSignal;
}

/** Streams one container's logs into the printer; resolves when the stream ends. */
export async function streamLogs(
  client: Client,
  c: { Id: string; name: string; tty: boolean },
  printer: LogPrinter,
  opts: FollowOptions,
): Promise<void> {
  const res = await client.call('GET', `/containers/${c.Id}/logs`, {
    query: {
      stdout: true,
      stderr: true,
      follow: opts.follow || undefined,
      tail: opts.tail,
      since: opts.since,
      until: opts.until,
      timestamps: opts.timestamps || undefined,
    },
    signal: opts.signal,
  });
  const splitter = new LineSplitter(c.tty, (line) => printer.line(c.name, line));
  try {
    for await (const chunk of res) splitter.push(chunk as Buffer);
  } catch {
    /* aborted follow */
  }
  splitter.end();
}

/** Whether log prefixes get colours: a terminal, no --no-color, --ansi not never. */
export function useColor(out: NodeJS.WritableStream, noColor: boolean, ansi: string | undefined): boolean {
  if (noColor || ansi === 'never') return false;
  if (ansi === 'always') return true;
  return Boolean((out as NodeJS.WriteStream).isTTY);
}
