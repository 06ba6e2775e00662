import { bytesToUnscaled, fastDecimalBytes, formatDecimal, parseDecimal, unscaledToBytes } from '../../../lib/decimal';

describe('exact decimals', () => {
  test.each([
    ['0.001', 8, 100_000n],
    ['95000.01000000', 8, 9_500_001_000_000n],
    ['0.00000001', 8, 1n],
    ['0', 8, 0n],
    ['12345678901.12345678', 8, 1_234_567_890_112_345_678n],
    ['-1.5', 8, -150_000_000n],
    ['1.10000000000', 8, 110_000_000n],
  ])('parses %s at scale %i', (text, scale, expected) => {
    expect(parseDecimal(text, scale)).toBe(expected);
  });

  test('never goes through a float: digits a double would round survive', () => {
    // 0.1 + 0.2 style loss: 9007199254740993 is not a double.
    expect(parseDecimal('90071992.54740993', 8)).toBe(9_007_199_254_740_993n);
    expect(formatDecimal(9_007_199_254_740_993n, 8)).toBe('90071992.54740993');
  });

  test('refuses what is not a plain decimal or needs more places than the scale', () => {
    for (const bad of ['', '1e5', '.5', '1.', 'abc', ' 1', '0x10', 'NaN']) expect(() => parseDecimal(bad, 8)).toThrow(RangeError);
    expect(() => parseDecimal('0.000000001', 8)).toThrow(/more than 8 decimal places/);
  });

  test.each([0n, 1n, 127n, 128n, 255n, 256n, -1n, -128n, -129n, -256n, 9_500_001_000_000n, -9_500_001_000_000n])(
    'two-complement bytes round-trip %p',
    (v) => {
      expect(bytesToUnscaled(unscaledToBytes(v))).toBe(v);
    },
  );

  test('bytes are minimal big-endian two-complement', () => {
    expect(unscaledToBytes(127n)).toEqual(Buffer.from([0x7f]));
    expect(unscaledToBytes(128n)).toEqual(Buffer.from([0x00, 0x80]));
    expect(unscaledToBytes(-1n)).toEqual(Buffer.from([0xff]));
    expect(unscaledToBytes(-128n)).toEqual(Buffer.from([0x80]));
    expect(unscaledToBytes(-129n)).toEqual(Buffer.from([0xff, 0x7f]));
  });

  test('formats with the scale, padding small values', () => {
    expect(formatDecimal(1, 8)).toBe('0.00000001');
    expect(formatDecimal(9_500_001_000_000, 8)).toBe('95000.01000000');
    expect(formatDecimal(-5n, 2)).toBe('-0.05');
  });

  test("the fast path gives the BigInt path's bytes, value for value, and leaves the rest to it", () => {
    const cases = ['0', '0.00000000', '1', '0.00000001', '95000.01000000', '9999999.99999999', '10000000.00000000', '127', '128', '0.00000128', '-1.5', '1e5', '0.000000001', '00012.50', '1.', '.5', '1.2.3', '12a', '0.1000', '', '1.000000000', '0.', '255', '256', '65535', '32768', '999999999999999'];
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 2000; i++) cases.push((random() * 10 ** Math.floor(random() * 9)).toFixed(Math.floor(random() * 9)));
    for (const text of cases) {
      let slow: Buffer | string;
      try {
        slow = unscaledToBytes(parseDecimal(text, 8));
      } catch (err) {
        slow = (err as Error).message;
      }
      const fast = fastDecimalBytes(text, 8);
      if (fast !== undefined) expect({ text, fast }).toEqual({ text, fast: slow });
      // Left to BigInt: bad values, negatives, and 16 digits or more.
      else expect({ text, slow: typeof slow === 'string' || text.startsWith('-') || parseDecimal(text, 8) >= 10n ** 15n }).toEqual({ text, slow: true });
    }
  });
});
