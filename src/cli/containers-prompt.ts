// Reads one answer line for confirmation prompts (`container prune`).
import type { Readable } from 'node:stream';

export function readLineFrom(input: Readable): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (): void => {
      input.off('data', onData);
      input.off('end', done);
      input.pause();
      resolve(buf.split('\n')[0] ?? '');
    };
    const onData = (c: Buffer): void => {
      buf += c.toString('utf8');
      if (buf.includes('\n')) done();
    };
    input.on('data', onData);
    input.once('end', done);
    input.resume();
  });
}
