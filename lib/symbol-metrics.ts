import { Counter, CounterConfiguration, Gauge } from 'prom-client';

// Per-symbol metrics with bounded label cardinality. A worker streaming a fleet shard of hundreds
// of symbols would otherwise export hundreds of series per metric (1,500 symbols × 12 metrics ×
// every worker): a session with more than metrics_symbol_labels_max symbols labels them
// symbol="session:<workflow id>" instead. Small sessions keep one series per symbol.

type SymbolLabels = { symbol?: string | number };

const labelOf = new Map<string, string>();
/** The labels object of an aggregated symbol, made once (one lookup per trade, no allocation). */
const sessionLabels = new Map<string, SymbolLabels>();

/** Called when a session's run starts: how its symbols are labelled from now on. */
export function labelSessionSymbols(session: string, symbols: string[], maxPerSymbol: number): void {
  const aggregate = symbols.length > maxPerSymbol ? `session:${session}` : undefined;
  // Bounded by the symbols this worker ever streamed (at most the universe).
  for (const s of symbols) {
    if (aggregate) {
      labelOf.set(s, aggregate);
      sessionLabels.set(s, { symbol: aggregate });
    } else {
      labelOf.delete(s);
      sessionLabels.delete(s);
    }
  }
}

export function symbolLabel(symbol: string): string {
  return labelOf.get(symbol) ?? symbol;
}

function bound(labels: SymbolLabels): SymbolLabels {
  // Per trade on the hot path: the caller's object unless the symbol is aggregated.
  if (labelOf.size === 0 || labels.symbol === undefined) return labels;
  return sessionLabels.get(String(labels.symbol)) ?? labels;
}

/** A counter labelled by symbol, or by session for a large session: the session's sum. */
export class SymbolCounter extends Counter<'symbol'> {
  constructor(config: CounterConfiguration<'symbol'>) {
    super(config);
    // prom-client assigns `inc` in its constructor (with or without exemplars): wrap that one.
    const inc = this.inc.bind(this) as (labels?: SymbolLabels | number, value?: number) => void;
    this.inc = ((labels?: SymbolLabels | number, value?: number) => (typeof labels === 'object' ? inc(bound(labels), value) : inc(labels))) as Counter<'symbol'>['inc'];
  }
}

/**
 * A gauge labelled by symbol, or by session for a large session: the largest value of its
 * symbols (the newest trade time; 1 while any symbol is held), not whichever was set last.
 */
export class SymbolGauge extends Gauge<'symbol'> {
  private readonly bySymbol = new Map<string, Map<string, number>>();

  override set(labels: SymbolLabels | number, value?: number): void {
    if (typeof labels !== 'object') return super.set(labels);
    const symbol = String(labels.symbol ?? '');
    const label = symbolLabel(symbol);
    if (label === symbol) return super.set(labels, value!);
    let values = this.bySymbol.get(label);
    if (!values) this.bySymbol.set(label, (values = new Map()));
    values.set(symbol, value!);
    super.set({ symbol: label }, Math.max(...values.values()));
  }
}
