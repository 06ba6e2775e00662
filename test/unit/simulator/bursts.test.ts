import { BurstSpec, burstMultiplier } from '../../../simulator/bursts';

const spec = (seed: number, marketSeed = 1): BurstSpec => ({ kind: 'bursts', seed, marketSeed });

/** Multipliers every `stepMs` over `hours`. */
function series(s: BurstSpec, hours: number, stepMs: number): number[] {
  return Array.from({ length: (hours * 3600_000) / stepMs }, (_, i) => burstMultiplier(s, i * stepMs));
}

describe('seeded bursts', () => {
  test('a pure function of seed and time', () => {
    expect(series(spec(5), 0.5, 250)).toEqual(series(spec(5), 0.5, 250));
    expect(series(spec(5), 0.5, 250)).not.toEqual(series(spec(6), 0.5, 250));
  });

  test('the long-run mean is the symbol rate', () => {
    let total = 0;
    let n = 0;
    // Sampling every 2 s is unbiased: bursts start at random offsets within their windows.
    for (let seed = 0; seed < 20; seed++) {
      for (const m of series(spec(seed, 1000 + seed), 6, 2000)) {
        total += m;
        n++;
      }
    }
    expect(total / n).toBeGreaterThan(0.97);
    expect(total / n).toBeLessThan(1.03);
  });

  test('bursts are several times the baseline and last seconds', () => {
    const stepMs = 100;
    const m = series(spec(11), 2, stepMs);
    const baseline = Math.min(...m);
    const runs: number[] = [];
    let run = 0;
    for (const x of [...m, baseline]) {
      if (x >= 2 * baseline) {
        run++;
      } else if (run) {
        runs.push(run * stepMs);
        run = 0;
      }
    }
    expect(Math.max(...m) / baseline).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeGreaterThan(10);
    // A symbol's bursts last 2-6 s, the market's 3-10 s; overlapping ones last a little longer.
    for (const ms of runs) expect(ms).toBeGreaterThanOrEqual(1_900);
    for (const ms of runs) expect(ms).toBeLessThanOrEqual(16_000);
  });

  test('market bursts hit every symbol that shares the market seed at once', () => {
    const allBusy = (specs: BurstSpec[]) => {
      const baseline = Math.min(...series(specs[0], 1, 1000));
      for (let t = 0; t < 3600_000; t += 500) if (specs.every((s) => burstMultiplier(s, t) >= 1.9 * baseline)) return true;
      return false;
    };
    expect(allBusy(Array.from({ length: 20 }, (_, i) => spec(i, 77)))).toBe(true);
    expect(allBusy(Array.from({ length: 20 }, (_, i) => spec(i, 77 + i)))).toBe(false);
  });
});
