import { seededRandom } from '../simulator/market';

// Faults at random but reproducible times during a soak: the seed is in the report, so a
// failing soak can be run again with the same faults at the same moments.

export const CHAOS_KINDS = ['kill-worker', 'no-pong', 'server-shutdown', 'stall', 'kafka-restart'] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

export interface ChaosEvent {
  atWallS: number;
  kind: ChaosKind;
}

/**
 * One event per `everyS` of wall time, each at a random moment of its slot, between 10% and
 * 85% of the run (the start warms up, the end is left to recover and drain). Every kind comes
 * once before any comes twice.
 */
export function chaosSchedule(o: { wallS: number; everyS: number; seed: number; kinds?: readonly ChaosKind[] }): ChaosEvent[] {
  const random = seededRandom(o.seed);
  const kinds = [...(o.kinds ?? CHAOS_KINDS)];
  const n = Math.max(1, Math.floor(o.wallS / o.everyS));
  const order: ChaosKind[] = [];
  while (order.length < n) {
    const round = [...kinds];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j], round[i]];
    }
    order.push(...round);
  }
  const from = 0.1 * o.wallS;
  const slot = (0.75 * o.wallS) / n;
  return order.slice(0, n).map((kind, i) => ({ atWallS: Math.round((from + slot * (i + random())) * 10) / 10, kind }));
}
