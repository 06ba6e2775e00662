import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import * as avro from 'avsc';
import { LRUCache } from 'lru-cache';
import { metrics } from '../metrics';
import { fingerprintBytes } from './fingerprint';
import { parseTradeV2Schema, tradeV2SchemaText } from './trade-v2-schema';

/**
 * confluent: magic 0x00 + 4-byte schema id from the registry + Avro body.
 * single-object: the Avro spec's C3 01 + 8-byte CRC-64-AVRO fingerprint + Avro body, readable
 * without a registry by anyone holding the schema.
 */
export type WireFormat = 'confluent' | 'single-object';

export interface Serializer {
  format: WireFormat;
  type: avro.Type;
  header: Buffer;
  schemaId?: number;
  encode(value: unknown): Buffer;
}

function serializer(format: WireFormat, type: avro.Type, header: Buffer, schemaId?: number): Serializer {
  // Per trade: encoded behind the header in a scratch buffer and copied out once (toBuffer and a
  // concat would allocate and copy twice). Grown when a value does not fit.
  let scratch = Buffer.alloc(4096);
  header.copy(scratch);
  const encode = (value: unknown): Buffer => {
    const end = type.encode(value, scratch, header.length);
    if (end >= 0) {
      const out = Buffer.allocUnsafe(end);
      scratch.copy(out, 0, 0, end);
      return out;
    }
    scratch = Buffer.alloc(2 * (scratch.length - end));
    header.copy(scratch);
    return encode(value);
  };
  return { format, type, header, schemaId, encode };
}

export function singleObjectSerializer(schemaText: string): Serializer {
  const type = parseTradeV2Schema(schemaText);
  return serializer('single-object', type, Buffer.concat([Buffer.from([0xc3, 0x01]), fingerprintBytes(JSON.stringify(type.schema()))]));
}

export async function confluentSerializer(registry: SchemaRegistry, subject: string, schemaText: string): Promise<Serializer> {
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: schemaText }, { subject });
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeUInt32BE(id, 1);
  return serializer('confluent', parseTradeV2Schema(schemaText), header, id);
}

/**
 * Serializers by subject and schema, in a bounded LRU (serializer_cache_max_size): a worker
 * that meets many schemas over weeks holds only the recent ones.
 */
export class SerializerCache {
  private readonly cache: LRUCache<string, Serializer>;
  private readonly registry?: SchemaRegistry;

  /** `registry`: from createSchemaRegistry (lib/avro/registry-client.ts), which holds its TLS and credentials. */
  constructor(maxSize: number, registry?: SchemaRegistry) {
    this.cache = new LRUCache<string, Serializer>({
      max: maxSize,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') metrics.serializerCacheEvictions.inc();
      },
    });
    this.registry = registry;
  }

  get format(): WireFormat {
    return this.registry ? 'confluent' : 'single-object';
  }

  get size(): number {
    return this.cache.size;
  }

  async get(subject: string, schemaText = tradeV2SchemaText()): Promise<Serializer> {
    const key = `${subject}\n${schemaText}`;
    let s = this.cache.get(key);
    if (!s) {
      s = this.registry ? await confluentSerializer(this.registry, subject, schemaText) : singleObjectSerializer(schemaText);
      this.cache.set(key, s);
      metrics.serializerCacheSize.set(this.cache.size);
    }
    return s;
  }
}

/**
 * Reads a value in either wire format, for the topic-tail reader and the audit. The body is
 * decoded with the TradeV2 schema whatever the schema id: they only read k2-stream's own topic.
 */
export function decodeTradeV2(value: Buffer, type: avro.Type): Record<string, unknown> {
  if (value[0] === 0xc3 && value[1] === 0x01) return type.fromBuffer(value.subarray(10)) as Record<string, unknown>;
  if (value[0] === 0x00) return type.fromBuffer(value.subarray(5)) as Record<string, unknown>;
  throw new Error(`unknown wire format (first byte 0x${value[0]?.toString(16)})`);
}

/** What the topic-tail reader and the audit need of a record: its symbol and trade id. */
export type TradeKey = { symbol: string; id: number };

export interface TradeKeyFilter {
  /** Only records that start with this wire header: this serializer's schema fingerprint or registry id. */
  header?: Buffer;
  /** Only records of this exchange. */
  exchange?: string;
}

/**
 * Decodes records to their TradeKey; anything that is not a TradeV2 record, or not one the
 * filter accepts, gives undefined. The topic-tail reader filters, so a stray record of another
 * schema or exchange can never move a session's cursor; the audit reads everything.
 */
export function tradeKeyDecoder(type: avro.Type = parseTradeV2Schema(), filter: TradeKeyFilter = {}): (value: Buffer) => TradeKey | undefined {
  return (value) => {
    if (filter.header && !value.subarray(0, filter.header.length).equals(filter.header)) return undefined;
    try {
      const r = decodeTradeV2(value, type);
      if (filter.exchange !== undefined && r.exchange !== filter.exchange) return undefined;
      return typeof r.source_sequence === 'number' ? { symbol: r.symbol as string, id: r.source_sequence } : undefined;
    } catch {
      return undefined;
    }
  };
}
