// Exact decimal handling: prices and quantities stay strings or integers, never floats.

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string into an unscaled integer at `scale` digits, exactly. Throws when the
 * string is not a plain decimal or carries more significant digits than `scale` allows.
 */
export function parseDecimal(text: string, scale: number): bigint {
  const m = DECIMAL.exec(text);
  if (!m) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  const [, sign, int, frac = ''] = m;
  const trimmed = frac.replace(/0+$/, '');
  if (trimmed.length > scale) throw new RangeError(`${text} has more than ${scale} decimal places`);
  const unscaled = BigInt(int + trimmed.padEnd(scale, '0'));
  return sign ? -unscaled : unscaled;
}

/** Formats an unscaled integer (bigint or a safe integer) as a decimal string with `scale` digits. */
export function formatDecimal(unscaled: bigint | number, scale: number): string {
  const v = typeof unscaled === 'bigint' ? unscaled : BigInt(unscaled);
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(scale + 1, '0');
  const out = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${out}` : out;
}

/** Big-endian two's-complement bytes, the Avro `decimal` logical type's representation. */
export function unscaledToBytes(unscaled: bigint): Buffer {
  if (unscaled === 0n) return Buffer.from([0]);
  let hex = (unscaled < 0n ? -unscaled : unscaled).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (unscaled > 0n) {
    return bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  }
  // Two's complement of the magnitude, widened by a byte when the sign bit would be lost.
  const width = bytes.length + 1;
  const twos = (1n << BigInt(width * 8)) + unscaled;
  hex = twos.toString(16).padStart(width * 2, '0');
  bytes = Buffer.from(hex, 'hex');
  while (bytes.length > 1 && bytes[0] === 0xff && bytes[1] & 0x80) bytes = bytes.subarray(1);
  return bytes;
}

export function bytesToUnscaled(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  const magnitude = BigInt(`0x${bytes.toString('hex')}`);
  return bytes[0] & 0x80 ? magnitude - (1n << BigInt(bytes.length * 8)) : magnitude;
}

/** Unscaled values below this fit a double exactly (15 digits), so the fast path needs no BigInt. */
const FAST_DIGITS = 15;
const POW10 = Array.from({ length: FAST_DIGITS + 1 }, (_, i) => 10 ** i);

/**
 * `unscaledToBytes(parseDecimal(text, scale))` without BigInt, for the common case: a
 * non-negative value of at most 15 digits at `scale` (every price and quantity a spot trade
 * carries) is exact as a double. Undefined for anything else (the caller takes the BigInt path,
 * which also says what is wrong with a bad value).
 */
export function fastDecimalBytes(text: string, scale: number): Buffer | undefined {
  const m = DECIMAL.exec(text);
  if (m && !m[1] && scale <= FAST_DIGITS) {
    const int = m[2];
    const frac = (m[3] ?? '').replace(/0+$/, '');
    if (frac.length <= scale && int.length + scale <= FAST_DIGITS) {
      let n = Number(int) * POW10[scale] + (frac ? Number(frac) * POW10[scale - frac.length] : 0);
      if (n === 0) return Buffer.from([0]);
      const out: number[] = [];
      for (; n > 0; n = Math.floor(n / 256)) out.push(n % 256);
      if (out[out.length - 1] & 0x80) out.push(0);
      return Buffer.from(out.reverse());
    }
  }
  return undefined;
}
