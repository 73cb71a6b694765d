// Running the host's networking tools (ip, iptables-restore, nsenter,
// unshare): one promise per spawn, rejecting with the tool's stderr.
import { spawn } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(`${cmd}: ${stderr.trim() || `exit ${code}`}`);
  }
}

export function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (b: Buffer) => (out += b));
    p.stderr!.on('data', (b: Buffer) => (err += b));
    p.on('error', (e) => reject(new CommandError(cmd, e.message, null)));
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new CommandError(`${cmd} ${args.join(' ')}`, err, code)),
    );
    if (p.stdin) {
      p.stdin.on('error', () => undefined); // the tool may exit before reading it all; its exit code tells
      p.stdin.end(input);
    }
  });
}

/** `ip` with a batch of commands on stdin (one spawn), optionally inside a network namespace file. */
export function ipBatch(lines: string[], netns?: string): Promise<string> {
  if (lines.length === 0) return Promise.resolve('');
  const input = lines.join('\n') + '\n';
  if (netns) return run('nsenter', [`--net=${netns}`, 'ip', '-batch', '-'], input);
  return run('ip', ['-batch', '-'], input);
}
