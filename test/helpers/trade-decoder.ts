import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as avro from 'avsc';

// An independent reader of what k2-stream writes: the schema file and avsc, nothing from lib/.
const type = avro.Type.forSchema(JSON.parse(readFileSync(join(__dirname, '../../schemas/trade_v2.avsc'), 'utf8')) as avro.Schema);

export interface DecodedTrade {
  message_id: string;
  trade_id: string;
  symbol: string;
  exchange: string;
  asset_class: string;
  timestamp: number;
  price: string;
  quantity: string;
  currency: string;
  side: string;
  source_sequence: number | null;
  ingestion_timestamp: number;
  vendor_data: Record<string, string> | null;
}

function decimal(bytes: Buffer, scale: number): string {
  let v = BigInt(`0x${bytes.toString('hex') || '0'}`);
  if (bytes.length && bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

export function decodeTrade(value: Buffer): DecodedTrade {
  let body: Buffer;
  if (value[0] === 0xc3 && value[1] === 0x01) body = value.subarray(10);
  else if (value[0] === 0x00) body = value.subarray(5);
  else throw new Error(`not a TradeV2 record: first bytes ${value.subarray(0, 2).toString('hex')}`);
  const rec = type.fromBuffer(body) as Record<string, unknown>;
  return { ...(rec as unknown as DecodedTrade), price: decimal(rec.price as Buffer, 8), quantity: decimal(rec.quantity as Buffer, 8) };
}
