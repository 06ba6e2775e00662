import { Kafka } from 'kafkajs';
import { decodeTradeV2 } from '../avro/serializer';
import { parseTradeV2Schema } from '../avro/trade-v2-schema';
import { partitionRangesSince, readPartitionRanges } from '../kafka/partition-reader';

export interface TradeSeen {
  symbol: string;
  id: number;
  /** Trade time to ingestion (when the worker encoded it), ms. */
  latencyMs: number;
  tradeTimeMs: number;
}

/** Every trade written to `topic` since `sinceMs` (by Kafka timestamp), committed records only. */
export async function tradesSince(kafka: Kafka, topic: string, sinceMs: number): Promise<TradeSeen[]> {
  const type = parseTradeV2Schema();
  const out: TradeSeen[] = [];
  await readPartitionRanges(
    kafka,
    topic,
    await partitionRangesSince(kafka, topic, sinceMs),
    (_p, _o, value) => {
      if (!value) return;
      try {
        const r = decodeTradeV2(value, type);
        const tradeUs = Number(r.timestamp);
        out.push({ symbol: String(r.symbol), id: Number(r.source_sequence), tradeTimeMs: tradeUs / 1000, latencyMs: (Number(r.ingestion_timestamp) - tradeUs) / 1000 });
      } catch {
        // not a TradeV2 record: not a trade of either side
      }
    },
    { timeoutMs: 120_000, purpose: 'deploy-compare' },
  );
  return out;
}

export function p99(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] * 10) / 10;
}

/**
 * Per symbol, the ids with a trade time in [fromMs, toMs] each side wrote, and those only one
 * side has. Both sides stream the same market, so equal sets mean green writes what blue does.
 */
export function compareWindows(blue: TradeSeen[], green: TradeSeen[], fromMs: number, toMs: number) {
  const inWindow = (t: TradeSeen) => t.tradeTimeMs >= fromMs && t.tradeTimeMs <= toMs;
  const bySymbol = (ts: TradeSeen[]) => {
    const m = new Map<string, Set<number>>();
    for (const t of ts.filter(inWindow)) {
      let s = m.get(t.symbol);
      if (!s) m.set(t.symbol, (s = new Set()));
      s.add(t.id);
    }
    return m;
  };
  const b = bySymbol(blue);
  const g = bySymbol(green);
  const symbols = [...new Set([...b.keys(), ...g.keys()])].sort();
  return {
    symbols: symbols.map((symbol) => {
      const bs = b.get(symbol) ?? new Set<number>();
      const gs = g.get(symbol) ?? new Set<number>();
      return {
        symbol,
        blue: bs.size,
        green: gs.size,
        onlyBlue: [...bs].filter((id) => !gs.has(id)).length,
        onlyGreen: [...gs].filter((id) => !bs.has(id)).length,
      };
    }),
    latencyP99Ms: { blue: p99(blue.filter(inWindow).map((t) => t.latencyMs)), green: p99(green.filter(inWindow).map((t) => t.latencyMs)) },
  };
}
