import { Registry } from 'prom-client';
import { labelSessionSymbols, SymbolCounter, SymbolGauge } from '../../../lib/symbol-metrics';

describe('per-symbol metrics, bounded', () => {
  const registry = new Registry();
  const counter = new SymbolCounter({ name: 't_trades_total', help: 'h', labelNames: ['symbol'] as const, registers: [registry] });
  const gauge = new SymbolGauge({ name: 't_last_seconds', help: 'h', labelNames: ['symbol'] as const, registers: [registry] });

  test('a small session: a series per symbol; a large one: one series for the session, gauges at their largest', async () => {
    labelSessionSymbols('small', ['AUSDT', 'BUSDT'], 2);
    labelSessionSymbols('fleet-1', ['CUSDT', 'DUSDT', 'EUSDT'], 2);
    counter.inc({ symbol: 'AUSDT' });
    counter.inc({ symbol: 'CUSDT' }, 2);
    counter.inc({ symbol: 'DUSDT' }, 3);
    gauge.set({ symbol: 'DUSDT' }, 7);
    gauge.set({ symbol: 'CUSDT' }, 5);
    gauge.set({ symbol: 'BUSDT' }, 1);
    const values = async (m: SymbolCounter | SymbolGauge) => Object.fromEntries((await m.get()).values.map((v) => [v.labels.symbol, v.value]));
    expect(await values(counter)).toEqual({ AUSDT: 1, 'session:fleet-1': 5 });
    expect(await values(gauge)).toEqual({ BUSDT: 1, 'session:fleet-1': 7 });
  });
});
