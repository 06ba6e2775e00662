import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as avro from 'avsc';
import { bytesToUnscaled, fastDecimalBytes, formatDecimal, parseDecimal, unscaledToBytes } from '../decimal';
import { projectRoot } from '../paths';

/**
 * Avro `decimal` over bytes, exchanged as decimal strings so values never pass through a
 * float. Writing refuses a value beyond the schema's precision instead of truncating it.
 */
export class DecimalType extends avro.types.LogicalType {
  private readonly scale: number;
  private readonly limit: bigint;
  /** Values the BigInt-free path gives (below 10^15) are within the precision. */
  private readonly fastPath: boolean;

  constructor(schema: avro.Schema, opts?: avro.ForSchemaOptions) {
    super(schema, opts);
    const s = schema as { precision?: number; scale?: number };
    this.scale = s.scale ?? 0;
    this.limit = 10n ** BigInt(s.precision ?? 38);
    this.fastPath = this.limit >= 10n ** 15n;
  }

  protected override _fromValue(value: Buffer): string {
    return formatDecimal(bytesToUnscaled(value), this.scale);
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string') return undefined;
    // Per trade, twice: values far below the precision skip BigInt (lib/decimal.ts).
    const fast = this.fastPath ? fastDecimalBytes(value, this.scale) : undefined;
    if (fast) return fast;
    const unscaled = parseDecimal(value, this.scale);
    if ((unscaled < 0n ? -unscaled : unscaled) >= this.limit) throw new RangeError(`${value} exceeds decimal precision`);
    return unscaledToBytes(unscaled);
  }

  protected override _resolve(type: avro.Type): ((x: unknown) => unknown) | undefined {
    if (avro.Type.isType(type, 'logical:decimal')) return (x) => x;
    return undefined;
  }
}

export const TRADE_V2_SCHEMA_FILE = join(projectRoot, 'schemas', 'trade_v2.avsc');

export function tradeV2SchemaText(): string {
  return readFileSync(TRADE_V2_SCHEMA_FILE, 'utf8');
}

export function parseTradeV2Schema(text = tradeV2SchemaText()): avro.Type {
  return avro.Type.forSchema(JSON.parse(text) as avro.Schema, { logicalTypes: { decimal: DecimalType } });
}

/** The record as the serializer takes it; price and quantity are exact decimal strings. */
export interface TradeV2 {
  message_id: string;
  trade_id: string;
  symbol: string;
  exchange: string;
  asset_class: 'equities' | 'crypto' | 'futures' | 'options';
  timestamp: number;
  price: string;
  quantity: string;
  currency: string;
  side: 'BUY' | 'SELL' | 'SELL_SHORT' | 'UNKNOWN';
  trade_conditions: string[];
  source_sequence: number | null;
  ingestion_timestamp: number;
  platform_sequence: number | null;
  vendor_data: Record<string, string> | null;
}
