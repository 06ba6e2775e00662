import { readFileSync } from 'node:fs';
import { WorkflowHandle } from '@temporalio/client';
import { streamSession } from '../workflows';
import { queryStatus } from './session';

function rssMb(pid: number): string {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return `${Math.round(kb / 1024)} MB`;
  } catch {
    return '-';
  }
}

function problem(state: string | undefined, lastError: string | undefined): string {
  if (!lastError || state === 'streaming') return '';
  if (lastError.startsWith('connect_failed')) return ` | Binance unreachable, retrying with backoff: ${lastError}`;
  return ` | ${lastError}`;
}

/**
 * Prints one line every `intervalMs` from the session's `status` query: trades/s per symbol,
 * connection age, Kafka acks, buffer, the worker's RSS. Returns a function that stops it.
 */
export function startStatusLine(
  handle: WorkflowHandle<typeof streamSession>,
  o: { intervalMs?: number; workerPid: () => number | undefined; webUi?: string },
): () => void {
  // Totals arrive with the session's progress reports; rates over the last 30 s stay smooth.
  const samples: { at: number; totals: Record<string, number> }[] = [];
  const timer = setInterval(() => {
    void (async () => {
      try {
        // A query needs a worker; while none runs it waits, so the time is taken after it.
        const s = await queryStatus(handle);
        const time = new Date().toISOString().slice(11, 19);
        const now = Date.now();
        const totals = Object.fromEntries(Object.entries(s.perSymbol).map(([k, v]) => [k, v.total]));
        samples.push({ at: now, totals });
        while (samples.length > 1 && now - samples[0].at > 30_000) samples.shift();
        const oldest = samples[0];
        const span = (now - oldest.at) / 1000;
        const rates = Object.entries(totals)
          .map(([sym, n]) => `${sym} ${(span > 0 ? (n - (oldest.totals[sym] ?? 0)) / span : 0).toFixed(1)}/s`)
          .join(' ');
        const age = s.connectedSince ? `${Math.round((now - Date.parse(s.connectedSince)) / 1000)}s` : '-';
        // Exact for every symbol, even where a large session's per-symbol figures lag (`overall`).
        const acked = s.overall?.total ?? Object.values(totals).reduce((a, b) => a + b, 0);
        const pid = o.workerPid();
        console.log(
          `${time} ${s.state}/${s.pipelineState ?? '-'} rotation ${s.rotation} | ${rates} | connection age ${age} | Kafka acks ${acked.toLocaleString('en-US')} | buffer ${s.bufferDepth} | worker RSS ${pid ? rssMb(pid) : '-'}${problem(s.pipelineState, s.lastError)}`,
        );
      } catch (err) {
        console.log(`${new Date().toISOString().slice(11, 19)} waiting for the session: ${(err as Error).message.split('\n')[0]}`);
      }
    })();
  }, o.intervalMs ?? 5_000);
  if (o.webUi) console.log(`Temporal Web UI: ${o.webUi}`);
  return () => clearInterval(timer);
}
