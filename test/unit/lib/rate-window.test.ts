import { MinuteWeight, SlidingWindow } from '../../../lib/rate-window';

test('a sliding window counts only the last window, strictly', () => {
  const w = new SlidingWindow(1000);
  expect([0, 100, 200, 300, 400].map((t) => w.hit(t))).toEqual([1, 2, 3, 4, 5]);
  expect(w.hit(999)).toBe(6); // a bucket refilled at t=0 would have allowed this burst
  expect(w.count(1001)).toBe(5);
  expect(w.count(1500)).toBe(1);
});

test('request weight resets at the minute and says how long to wait', () => {
  const m = new MinuteWeight();
  const t0 = 60_000 * 1000 + 45_000;
  expect(m.add(t0, 25)).toBe(25);
  expect(m.add(t0 + 1000, 25)).toBe(50);
  expect(m.secondsToReset(t0 + 1000)).toBe(14);
  expect(m.current(t0 + 15_000)).toBe(0);
});
