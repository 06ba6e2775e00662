// CRC-64-AVRO (Rabin) fingerprint of a schema's Parsing Canonical Form, as the Avro spec
// defines it for single-object encoding. avsc 5 has md5/sha256 fingerprints but not this one.

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = (1n << 64n) - 1n;

const TABLE: bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    table.push(fp & MASK);
  }
  return table;
})();

export function crc64Avro(canonical: string): bigint {
  let fp = EMPTY;
  for (const byte of Buffer.from(canonical, 'utf8')) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)];
  return fp;
}

/** The 8 fingerprint bytes of single-object encoding: little-endian. */
export function fingerprintBytes(canonical: string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(canonical));
  return out;
}
