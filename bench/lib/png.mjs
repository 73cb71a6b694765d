// A minimal PNG writer (8-bit RGB, one IDAT, zlib from Node) and a raster
// to draw on: enough for a bar chart without any graphics package.
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Encodes width×height RGB pixels (Uint8Array, 3 bytes a pixel, rows top down). */
export function encodePng(width, height, rgb) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  // Each scanline starts with filter type 0 (none).
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++)
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An RGB raster with rectangles and bitmap text. Colours are [r, g, b]. */
export class Raster {
  constructor(width, height, background = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.px = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  set(x, y, c) {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.px[i] = c[0];
    this.px[i + 1] = c[1];
    this.px[i + 2] = c[2];
  }

  get(x, y) {
    const i = (y * this.width + x) * 3;
    return [this.px[i], this.px[i + 1], this.px[i + 2]];
  }

  fillRect(x, y, w, h, c) {
    for (let j = Math.max(0, Math.round(y)); j < Math.min(this.height, Math.round(y + h)); j++)
      for (let i = Math.max(0, Math.round(x)); i < Math.min(this.width, Math.round(x + w)); i++)
        this.set(i, j, c);
  }

  /** Draws text with a bitmap font ({ width, height, glyph(ch) → rows of '#'/'.' }) at `scale`. */
  text(x, y, s, font, c, scale = 2) {
    let cx = x;
    for (const ch of s) {
      const rows = font.glyph(ch);
      rows.forEach((row, j) => {
        for (let i = 0; i < row.length; i++)
          if (row[i] === '#') this.fillRect(cx + i * scale, y + j * scale, scale, scale, c);
      });
      cx += (font.width + 1) * scale;
    }
    return cx;
  }

  png() {
    return encodePng(this.width, this.height, this.px);
  }
}

/** Width in pixels of text drawn by Raster.text. */
export function textWidth(s, font, scale = 2) {
  return [...s].length * (font.width + 1) * scale;
}
