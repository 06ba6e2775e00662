import { formatStatus } from '../../../cli/session';
import type { SessionStatus } from '../../../workflows/stream-session-api';

const base: SessionStatus = {
  state: 'streaming',
  symbols: ['AUSDT', 'BUSDT'],
  rotation: 2,
  lastRotationReason: 'lifetime',
  connectedSince: '2026-11-29T20:00:00.000Z',
  firstTradeAt: '2026-11-29T20:00:00.500Z',
  sessionStartedAt: '2026-11-29T12:00:00.000Z',
  perSymbol: {
    AUSDT: { state: 'ok', total: 100, thisRun: 90, lastId: 7, lastTradeTime: '2026-11-29T20:00:09.000Z', ratePerSec: 9 },
    BUSDT: { state: 'ok', total: 20, thisRun: 10, lastId: 3, lastTradeTime: '2026-11-29T20:00:05.000Z', asOf: '2026-11-29T20:00:06.000Z' },
  },
  overall: { symbols: 2, total: 120, thisRun: 100, ratePerSec: 10, lastTradeTime: '2026-11-29T20:00:09.000Z', lagMs: 500, silent: 0, held: 0 },
  reported: ['AUSDT'],
  pipelineState: 'streaming',
  bufferDepth: 0,
  reconnects: 0,
  lastError: undefined,
  cursor: { AUSDT: 7, BUSDT: 3 },
};

describe('k2 stream status', () => {
  it('leads with all symbols, says which the reports named, and marks figures as of an older report', () => {
    const lines = formatStatus(base).split('\n');
    expect(lines[2]).toBe('all 2 symbols: total 120, this run 100, 10.0/s, newest trade 2026-11-29T20:00:09.000Z, 0 without a trade this run, 0 held');
    expect(lines[3]).toMatch(/^the run's reports name a few symbols each \(now: AUSDT\)/);
    expect(lines[4]).toMatch(/^ {2}AUSDT +total +100 +this run +90 +9\.0\/s +last id 7 +last trade 2026-11-29T20:00:09\.000Z$/);
    expect(lines[5]).toMatch(/last trade 2026-11-29T20:00:05\.000Z {2}\(this run as of 2026-11-29T20:00:06\.000Z\)$/);
  });

  it('prints a session of an older build, which answers without `overall`', () => {
    const { overall: _o, reported: _r, ...old } = base;
    const text = formatStatus(old as SessionStatus);
    expect(text).not.toContain('all 2 symbols');
    expect(text).toContain('AUSDT');
  });
});
