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
