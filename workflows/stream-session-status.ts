import type { RegressionState } from '../lib/gaps/gap-tracker';
import type { Cursor } from '../lib/pipeline/cursor';
import type { SymbolProgress } from '../lib/pipeline/pipeline-progress';
import { ProgressReport, runTotals } from '../lib/pipeline/progress-report';
import type { OverallStatus, SessionState, SessionStatus, SymbolStatus } from './stream-session-api';

// How a stream session describes itself: the `status` query, and the Web UI's summary and
// details (Temporal user metadata). Pure functions of what the workflow holds, so the workflow
// stays deterministic and each can be tested without Temporal.

/** A symbol's figures from the latest report of the run that named it, and when that was. */
export type SeenSymbol = SymbolProgress & { at?: number };

/** What the workflow holds about its session at one moment. */
export interface SessionView {
  state: SessionState;
  symbols: string[];
  rotation: number;
  lastRotationReason: string | undefined;
  startedAt: string;
  cursor: Cursor;
  /** Trades written per symbol by the runs before this one. */
  totals: Record<string, number>;
  /** This run's latest progress report, and the one before it (for rates). */
  progress: ProgressReport | undefined;
  previousProgress: ProgressReport | undefined;
  /** Every symbol this run's reports named so far (a large session's reports name a few each). */
  seen: Record<string, SeenSymbol>;
  /** Symbols held for an id regression, as the last finished run reported them. */
  regressions: Record<string, RegressionState>;
  /** Symbols an operator reset, to take effect with the next run. */
  resetting: string[];
  /** How the previous run ended, when it ended without a result. */
  lastRunLost: string | undefined;
  /** The build whose worker ran the workflow's latest task. */
  build: string | undefined;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

/** Trades/s between the run's last two reports; undefined until there are two. */
function rate(now: { count: number; at?: number } | undefined, before: { count: number; at?: number } | undefined): number | undefined {
  if (!now || !before || !before.at || !now.at || now.at <= before.at || now.count < before.count) return undefined;
  return ((now.count - before.count) * 1000) / (now.at - before.at);
}

/** The run's totals over all symbols; a report of a worker before the reports were bounded names every symbol. */
const overallOf = (p: ProgressReport | undefined) => (p ? (p.overall ?? runTotals(p.symbols, p.regressions)) : undefined);

/** `marked`: symbols the status marks held; a report names at most a few of them, its totals count all. */
function overallStatus(v: SessionView, marked: number): OverallStatus {
  const { progress } = v;
  const run = overallOf(progress);
  const before = overallOf(v.previousProgress);
  const newest = run?.newestTradeTimeUs;
  const r = rate(run && { count: run.count, at: progress?.at }, before && { count: before.count, at: v.previousProgress?.at });
  return {
    symbols: v.symbols.length,
    total: v.symbols.reduce((n, s) => n + (v.totals[s] ?? 0), 0) + (run?.count ?? 0),
    thisRun: run?.count ?? 0,
    ...(r !== undefined ? { ratePerSec: r } : {}),
    ...(newest ? { lastTradeTime: new Date(newest / 1000).toISOString() } : {}),
    ...(newest && progress?.at ? { lagMs: Math.max(0, progress.at - newest / 1000) } : {}),
    ...(run ? { silent: run.silent } : {}),
    held: Math.max(marked, run?.held ?? 0),
  };
}

export function sessionStatus(v: SessionView): SessionStatus {
  const { progress } = v;
  const held = { ...v.regressions, ...(progress?.regressions ?? {}) };
  const perSymbol: Record<string, SymbolStatus> = {};
  for (const s of v.symbols) {
    // Named by the latest report: live. Otherwise as of the last report that named it, if any.
    const live = progress?.symbols[s];
    const p = live ?? v.seen[s];
    const r = live ? rate({ ...live, at: progress?.at }, v.previousProgress?.symbols[s] && { ...v.previousProgress.symbols[s], at: v.previousProgress.at }) : undefined;
    perSymbol[s] = {
      state: held[s] && !v.resetting.includes(s) ? 'id_regression' : 'ok',
      ...(held[s] ? { regression: held[s] } : {}),
      total: (v.totals[s] ?? 0) + (p?.count ?? 0),
      thisRun: p?.count ?? 0,
      lastId: v.cursor[s],
      lastTradeTime: p?.lastTradeTimeUs ? new Date(p.lastTradeTimeUs / 1000).toISOString() : undefined,
      ...(r !== undefined ? { ratePerSec: r } : {}),
      ...(live?.lastTradeTimeUs && progress?.at ? { lagMs: Math.max(0, progress.at - live.lastTradeTimeUs / 1000) } : {}),
      ...(!live && p && v.seen[s].at ? { asOf: iso(v.seen[s].at) } : {}),
    };
  }
  const reported = progress ? Object.keys(progress.symbols) : [];
  return {
    state: v.state,
    symbols: v.symbols,
    rotation: v.rotation,
    lastRotationReason: v.lastRotationReason,
    connectedSince: iso(progress?.connectedSince),
    firstTradeAt: iso(progress?.firstTradeAt),
    sessionStartedAt: v.startedAt,
    perSymbol,
    overall: overallStatus(v, v.symbols.filter((s) => held[s] && !v.resetting.includes(s)).length),
    ...(progress && reported.length < v.symbols.length ? { reported } : {}),
    pipelineState: progress?.state,
    bufferDepth: progress?.bufferDepth ?? 0,
    reconnects: progress?.reconnects ?? 0,
    lastError: progress?.lastError ?? v.lastRunLost,
    cursor: v.cursor,
    ...(progress?.topic ? { topic: progress.topic } : {}),
    ...(v.build ? { build: v.build } : {}),
  };
}

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

function symbolLine(symbol: string, p: SymbolStatus): string {
  if (p.state === 'id_regression' && p.regression) {
    return `- **${symbol}: id regression** — live id ${p.regression.seenId} is far below cursor ${p.regression.lastId}; ${p.regression.held} trades held. Fix: \`k2 stream reset-cursor --symbol ${symbol}\``;
  }
  const rate = p.ratePerSec !== undefined ? `${p.ratePerSec.toFixed(1)}/s` : '–/s';
  const lag = p.lagMs !== undefined ? `, last trade ${seconds(p.lagMs)} old` : '';
  return `- ${symbol}: ${rate}${lag}, ${p.total} written (${p.thisRun} this run), last id ${p.lastId ?? '–'}`;
}

/** All symbols in one line: what a large session's details lead with. */
function overallLine(o: OverallStatus): string {
  const rate = o.ratePerSec !== undefined ? `${o.ratePerSec.toFixed(1)}/s` : '–/s';
  const lag = o.lagMs !== undefined ? `, newest trade ${seconds(o.lagMs)} old` : '';
  const silent = o.silent !== undefined ? `, ${o.silent} without a trade this run` : '';
  return `All ${o.symbols} symbols: ${rate}${lag}, ${o.total} written (${o.thisRun} this run)${silent}, ${o.held} held`;
}

/** Symbols listed in the details; a session of hundreds (a soak) lists the rest in `status`. */
const DETAIL_SYMBOLS = 50;

/**
 * The Web UI's "current details" (markdown): what an operator looks for first — the state, the
 * rotation, the build, and per symbol the rate, the age of its last trade and its totals. A
 * session whose reports name only a few symbols leads with all of them summed up, then lists
 * the ones named (held, lagging, busiest): the others' figures would be stale.
 */
export function sessionDetails(s: SessionStatus): string {
  const head = [`**${s.state}**`, `rotation ${s.rotation}${s.lastRotationReason ? ` (last: ${s.lastRotationReason})` : ''}`];
  if (s.build) head.push(`build \`${s.build}\``);
  const run = [s.pipelineState ? `pipeline ${s.pipelineState}` : 'pipeline not reporting yet'];
  if (s.topic) run.push(`into \`${s.topic}\``);
  if (s.connectedSince) run.push(`connected since ${s.connectedSince}`);
  run.push(`buffer ${s.bufferDepth}`, `reconnects ${s.reconnects}`);
  const listed = (s.reported ?? s.symbols.slice(0, DETAIL_SYMBOLS)).filter((sym) => s.perSymbol[sym]);
  // Markdown: a single line break would join the first two lines into one paragraph.
  return [
    head.join(' · '),
    '',
    run.join(' · '),
    '',
    ...(s.reported ? [overallLine(s.overall), ''] : []),
    ...listed.map((sym) => symbolLine(sym, s.perSymbol[sym])),
    ...(s.symbols.length > listed.length ? [`- … and ${s.symbols.length - listed.length} more: query \`status\``] : []),
    ...(s.lastError ? ['', `Last error: ${s.lastError}`] : []),
  ].join('\n');
}

/** The Web UI shows a summary as one line, and keeps at most 400 bytes of it. */
const SUMMARY_MAX = 400;

const bytes = (text: string) => new TextEncoder().encode(text).length;

function symbolList(symbols: string[], room: number): string {
  for (let shown = symbols.length; shown > 0; shown--) {
    const list = symbols.slice(0, shown).join(', ') + (shown < symbols.length ? ` +${symbols.length - shown} more` : '');
    if (bytes(list) <= room) return list;
  }
  return `${symbols.length} symbols`;
}

/**
 * Static summary and details of a session, set once when it is started. A continue-as-new
 * starts a run without them (the SDK cannot pass them on), so the current details repeat
 * what matters.
 */
export function sessionMetadata(o: { symbols: string[]; topic: string; dlqTopic?: string; build: string; workflowId: string }): {
  staticSummary: string;
  staticDetails: string;
} {
  const tail = ` → ${o.topic} · build ${o.build}`;
  const staticSummary = `${symbolList(o.symbols, SUMMARY_MAX - bytes(tail))}${tail}`;
  const signal = (name: string) => `\`temporal workflow signal --workflow-id ${o.workflowId} --name ${name}\``;
  const staticDetails = [
    `Streams Binance spot trades of ${o.symbols.length} symbols into Kafka, every trade id exactly once.`,
    '',
    `- symbols: ${o.symbols.join(', ')}`,
    `- topic: \`${o.topic}\`${o.dlqTopic ? ` (dead letters: \`${o.dlqTopic}\`)` : ''}`,
    `- started by build \`${o.build}\`; each rotation (a new run) moves to the Worker Deployment's current build, which the current details name`,
    `- live status: query \`status\` (\`npx k2 stream status --workflow-id ${o.workflowId}\`)`,
    `- operate: ${['rotate', 'pause', 'resume', 'stop'].map(signal).join(', ')}`,
  ].join('\n');
  return { staticSummary, staticDetails };
}
