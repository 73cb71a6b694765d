// Compose v2's progress display, on stderr: on a terminal a redrawn block
// (`[+] Running 2/2`, ` ✔ Container p-web-1  Started  0.3s`), otherwise
// plain lines (` Container p-web-1  Started`), or nothing with quiet.
export type ProgressMode = 'auto' | 'tty' | 'plain' | 'quiet' | 'json';

interface Line {
  id: string;
  status: string;
  done: boolean;
  error: boolean;
  started: number;
  ended?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Statuses that end an object's work (Compose's Done events). */
const DONE = new Set([
  'Created',
  'Started',
  'Running',
  'Recreated',
  'Stopped',
  'Removed',
  'Killed',
  'Paused',
  'Unpaused',
  'Restarted',
  'Healthy',
  'Exited',
  'Pulled',
  'Built',
  'Pushed',
  'Skipped',
  'Found',
  'Warning',
  'Error',
  'Deleted',
]);

export class Progress {
  private readonly lines: Line[] = [];
  private readonly byId = new Map<string, Line>();
  private timer?: NodeJS.Timeout;
  private drawn = 0;
  private frame = 0;
  readonly mode: Exclude<ProgressMode, 'auto'>;

  constructor(
    private readonly out: NodeJS.WritableStream = process.stderr,
    mode: ProgressMode = 'auto',
    private readonly title = 'Running',
  ) {
    const tty = Boolean((out as NodeJS.WriteStream).isTTY);
    this.mode = mode === 'auto' ? (tty ? 'tty' : 'plain') : mode;
  }

  /** One step of one object: `event('Container p-web-1', 'Started')`. */
  event(id: string, status: string, opts: { error?: boolean } = {}): void {
    const now = Date.now();
    let line = this.byId.get(id);
    if (!line) {
      line = { id, status, done: false, error: false, started: now };
      this.byId.set(id, line);
      this.lines.push(line);
    }
    line.status = status;
    line.error = Boolean(opts.error);
    line.done = DONE.has(status) || line.error;
    if (line.done) line.ended = now;
    else line.ended = undefined;
    if (this.mode === 'plain') this.out.write(` ${id}  ${status}\n`);
    else if (this.mode === 'json')
      this.out.write(JSON.stringify({ id, status, error: line.error || undefined }) + '\n');
    else if (this.mode === 'tty') this.schedule();
  }

  /** A line outside the object list (warnings), printed above the block. */
  message(text: string): void {
    if (this.mode === 'quiet') return;
    if (this.mode === 'tty') {
      this.clear();
      this.out.write(text + '\n');
      this.drawn = 0;
      this.draw();
    } else this.out.write(text + '\n');
  }

  private schedule(): void {
    if (this.timer) return;
    this.draw();
    // Unref'd: a display never keeps the command alive.
    this.timer = setInterval(() => this.draw(), 100).unref();
  }

  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
  }

  private draw(): void {
    if (!this.lines.length) return;
    const width = (this.out as NodeJS.WriteStream).columns || 80;
    const now = Date.now();
    const doneCount = this.lines.filter((l) => l.done).length;
    const allDone = doneCount === this.lines.length;
    const idWidth = Math.max(...this.lines.map((l) => l.id.length));
    const statusWidth = Math.max(...this.lines.map((l) => l.status.length));
    const colour = allDone ? '\x1b[34m' : '\x1b[33m';
    const rows = [`${colour}[+] ${this.title} ${doneCount}/${this.lines.length}\x1b[0m`];
    this.frame++;
    for (const l of this.lines) {
      const mark = l.error
        ? '\x1b[31m✘\x1b[0m'
        : l.done
          ? '\x1b[32m✔\x1b[0m'
          : SPINNER[this.frame % SPINNER.length];
      const secs = (((l.ended ?? now) - l.started) / 1000).toFixed(1) + 's';
      const text = ` ${mark} ${l.id.padEnd(idWidth)}  ${l.status.padEnd(statusWidth)}`;
      const visible = 4 + idWidth + 2 + statusWidth;
      const pad = Math.max(1, width - visible - secs.length - 1);
      rows.push(`${text}${' '.repeat(pad)}\x1b[34m${secs}\x1b[0m`);
    }
    this.clear();
    this.out.write(rows.join('\n') + '\n');
    this.drawn = rows.length;
  }

  /** Final redraw; call once the command's work is over. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.mode === 'tty' && this.lines.length) this.draw();
  }
}

/** The event id Compose shows for an object. */
export const ids = {
  container: (name: string) => `Container ${name}`,
  network: (name: string) => `Network ${name}`,
  volume: (name: string) => `Volume "${name}"`,
  image: (name: string) => `Image ${name}`,
  service: (name: string) => name,
};

/** A warning as Compose's logrus prints it: `WARN[0000] …` on a terminal, key=value otherwise. */
export function warnLine(
  text: string,
  out: NodeJS.WritableStream = process.stderr,
  started = Date.now(),
): string {
  if ((out as NodeJS.WriteStream).isTTY) {
    const secs = String(Math.floor((Date.now() - started) / 1000)).padStart(4, '0');
    return `\x1b[33mWARN\x1b[0m[${secs}] ${text}`;
  }
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return `time="${now}" level=warning msg=${JSON.stringify(text)}`;
}
