// docker's PromptForConfirmation: the warning, "Are you sure you want to
// continue? [y/N] ", and one line of stdin; only "y"/"Y" confirms.
import type { CliContext } from './context.js';

export async function confirm(
  ctx: CliContext,
  message: string,
  input: NodeJS.ReadableStream = process.stdin,
): Promise<boolean> {
  ctx.out.write(`${message}\nAre you sure you want to continue? [y/N] `);
  const answer = await readLine(input);
  return answer.trim().toLowerCase() === 'y';
}

function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (): void => {
      input.off('data', onData);
      input.off('end', done);
      input.off('error', done);
      input.pause();
      resolve(buf.split('\n')[0] ?? '');
    };
    const onData = (d: Buffer | string): void => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    input.on('data', onData);
    input.once('end', done);
    input.once('error', done);
    input.resume();
  });
}
