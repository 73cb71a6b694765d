// Scans a tar file on disk by its headers only, jumping over large member
// data: the escape checks and whiteout list of TarScanner without feeding the
// whole file through it, so tar can be given the file itself (and read it at
// full speed) only after the archive passed.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TarScanner, UnsafeTarError, type ScanResult } from '../image/tar-scan.js';

const BLOCK = 512;
/** Read-ahead window: small members' headers come out of one read. */
const WINDOW = 128 * 1024;
/** Headers parsed between yields to the event loop. */
const BATCH = 4000;

export async function scanTarFile(file: string): Promise<ScanResult> {
  const scanner = new TarScanner();
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    let win = Buffer.alloc(WINDOW);
    let winStart = 0;
    let winEnd = 0;
    /** `len` bytes at `pos`, from the window when they are in it. */
    const bytesAt = (pos: number, len: number): Buffer => {
      if (pos < winStart || pos + len > winEnd) {
        if (len > win.length) win = Buffer.alloc(len);
        const got = readSync(fd, win, 0, Math.max(len, Math.min(win.length, size - pos)), pos);
        winStart = pos;
        winEnd = pos + got;
        if (got < len) throw new UnsafeTarError('unexpected EOF in tar archive');
      }
      return win.subarray(pos - winStart, pos - winStart + len);
    };
    let pos = 0;
    let n = 0;
    while (pos < size && !scanner.result.ended) {
      const len = scanner.wants() || BLOCK;
      scanner.scan(bytesAt(pos, len));
      pos += len + scanner.takeSkip();
      if (pos > size) throw new UnsafeTarError('unexpected EOF in tar archive');
      if (++n % BATCH === 0) await new Promise((r) => setImmediate(r));
    }
    scanner.finish();
    return scanner.result;
  } finally {
    closeSync(fd);
  }
}
