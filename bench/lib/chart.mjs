// The ratio chart: one horizontal bar per scenario, berth/dockerd on a log
// scale centred on 1× (equal). Bars left of the centre line mean berth did
// better, right of it worse, whatever the unit (throughput ratios are
// inverted so "left is better" holds for every row).
import { Raster, textWidth } from './png.mjs';
import { font5x7 } from './font.mjs';

const GREEN = [46, 139, 87];
const RED = [200, 60, 50];
const GREY = [150, 150, 150];
const INK = [20, 20, 20];
const FAINT = [225, 225, 225];

/** Ratio as "cost of berth relative to dockerd" (lower = berth better). */
export function costRatio(r) {
  const x = r.ratio?.median;
  if (!Number.isFinite(x) || x <= 0) return NaN;
  return r.lowerIsBetter === false ? 1 / x : x;
}

/**
 * rows: [{ title, ratio: { median }, lowerIsBetter }]; returns a PNG buffer.
 * The axis spans 1/8× … 8× (log2), values outside are clamped with an arrow tip.
 */
export function ratioChart(
  rows,
  {
    title = 'berth / dockerd, median of paired ratios (log scale)',
    subtitle = 'green: berth better, red: berth worse (for throughput the bar is inverted)',
  } = {},
) {
  const S = 2; // font scale
  const lineH = 7 * S + 14;
  const labelW = Math.max(200, ...rows.map((r) => textWidth(r.title, font5x7, S))) + 20;
  const plotW = 640;
  const valueW = 110;
  const top = 74;
  const width = labelW + plotW + valueW + 20;
  const height = top + rows.length * lineH + 50;
  const img = new Raster(width, height);
  img.text(10, 12, title, font5x7, INK, S);
  img.text(10, 36, subtitle, font5x7, GREY, S);

  const LIM = 3; // log2 span each side: 8×
  const x0 = labelW;
  const xOf = (log2) => x0 + ((Math.max(-LIM, Math.min(LIM, log2)) + LIM) / (2 * LIM)) * plotW;
  const centre = xOf(0);

  // Grid lines at 1/8 … 8 and their labels at the bottom.
  for (let k = -LIM; k <= LIM; k++) {
    const x = Math.round(xOf(k));
    img.fillRect(x, top - 6, 1, rows.length * lineH + 6, k === 0 ? INK : FAINT);
    const label = k >= 0 ? `${2 ** k}x` : `1/${2 ** -k}x`;
    img.text(x - textWidth(label, font5x7, S) / 2, top + rows.length * lineH + 8, label, font5x7, INK, S);
  }

  rows.forEach((r, i) => {
    const y = top + i * lineH;
    img.text(10, y + 7, r.title, font5x7, INK, S);
    const c = costRatio(r);
    if (!Number.isFinite(c)) {
      img.text(centre + 8, y + 7, 'n/a', font5x7, GREY, S);
      return;
    }
    const l = Math.log2(c);
    const x = xOf(l);
    const colour = l < 0 ? GREEN : RED;
    img.fillRect(Math.min(x, centre), y + 4, Math.max(2, Math.abs(x - centre)), lineH - 8, colour);
    const shown = r.ratio.median;
    img.text(
      x0 + plotW + 10,
      y + 7,
      `${shown >= 10 ? shown.toFixed(1) : shown.toFixed(2)}x`,
      font5x7,
      colour,
      S,
    );
  });
  return img.png();
}
