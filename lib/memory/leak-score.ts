// The original plan's leak score: clamp(slope in MB/h / 50, 0, 1) x R^2 of a least-squares
// line through the RSS samples. Steady growth that fits a line scores high; GC sawtooth and
// noise (low R^2) or a flat line (low slope) score low. Pure, so it is tested on its own.

export interface MemorySample {
  /** Milliseconds since the epoch. */
  at: number;
  rssBytes: number;
}

export interface LeakFit {
  slopeMbPerHour: number;
  r2: number;
  score: number;
}

/** Fewer samples than this say nothing about a trend. */
export const MIN_SAMPLES = 10;

export function leakScore(samples: MemorySample[], mbPerHourForFullScore = 50): LeakFit {
  const n = samples.length;
  if (n < MIN_SAMPLES) return { slopeMbPerHour: 0, r2: 0, score: 0 };
  const xs = samples.map((s) => (s.at - samples[0].at) / 3_600_000);
  const ys = samples.map((s) => s.rssBytes / (1024 * 1024));
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  if (sxx === 0) return { slopeMbPerHour: 0, r2: 0, score: 0 };
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  const score = Math.min(1, Math.max(0, slope / mbPerHourForFullScore)) * r2;
  return { slopeMbPerHour: slope, r2, score };
}
