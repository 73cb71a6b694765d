// Pure statistics for the benchmark: summaries of a sample and the ratio of
// two engines measured pair by pair (A B A B …), so a burst of load from
// other work on the machine hits both numbers of a pair alike.

/** Median of numbers (mean of the two middle values for an even count). */
export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** { n, median, min, max } of the finite values in xs. */
export function summarize(xs) {
  const ok = xs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN };
  return { n: ok.length, median: median(ok), min: Math.min(...ok), max: Math.max(...ok) };
}

/** a[i] / b[i] for each pair where both were measured. */
export function pairRatios(a, b) {
  const out = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (Number.isFinite(a[i]) && Number.isFinite(b[i]) && b[i] !== 0) out.push(a[i] / b[i]);
  return out;
}

/**
 * The verdict on a ratio berth/dockerd: for times and memory lower is better,
 * for throughput higher is; "faster by" is always expressed as a factor ≥ 1.
 */
export function verdict(ratio, lowerIsBetter = true) {
  if (!Number.isFinite(ratio)) return 'n/a';
  const better = lowerIsBetter ? ratio < 1 : ratio > 1;
  const factor = lowerIsBetter ? 1 / ratio : ratio;
  if (Math.abs(Math.log(ratio)) < Math.log(1.05)) return 'same';
  return better ? `berth ${factor.toFixed(2)}× better` : `berth ${(1 / factor).toFixed(2)}× worse`;
}
