import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config';
import { formatDuration } from '../duration';
import { projectRoot } from '../paths';
import { lineChartSvg, stackCharts } from '../report/line-chart';
import { writeAtomic } from '../report/write-atomic';
import type { DayCheck, ValidationReport } from './day-result';

// The validation's report on disk: validation-report.json (everything, the days as history
// recorded them), validation-report.md (what an SRE reads) and validation-report.svg (per day:
// the RSS band, trades/s, rotations and pings against what the settings expect).

/** Where a validation's report goes: `<reports_dir>/<workflow id>/` (reports_dir relative to the project root). */
export function reportDir(config: Pick<Config, 'reports_dir'>, workflowId: string): string {
  const base = isAbsolute(config.reports_dir) ? config.reports_dir : join(projectRoot, config.reports_dir);
  return join(base, workflowId);
}

export const REPORT_FILES = { json: 'validation-report.json', markdown: 'validation-report.md', chart: 'validation-report.svg' };

const mark = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
const cell = (v: unknown) => String(v ?? '–').replace(/\|/g, '\\|');

function dayLines(d: DayCheck): string[] {
  const lines = [`### Day ${d.day}: ${mark(d.pass)} (${d.from} → ${d.to}, ${formatDuration(d.windowHours * 3_600_000)}, evidence: ${d.source})`, ''];
  if (d.error) return [...lines, `The check could not run: ${d.error}`, ''];
  lines.push('| criterion | source | bar | measured | result |', '| --- | --- | --- | --- | --- |');
  for (const c of d.criteria) lines.push(`| ${cell(c.name)} | ${c.source} | ${cell(c.bar)} | ${cell(c.value)} | ${c.status} |`);
  const f = d.figures;
  if (f) {
    const reconnects = Object.entries(f.reconnects).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ') || 'none';
    lines.push('', `Trades acknowledged ${f.trades} (${f.tradesPerSecond.toFixed(2)}/s); pings ${f.pings}, pongs ${f.pongs}, pong timeouts ${f.pongTimeouts}; reconnects: ${reconnects}; unrecoverable trade ids ${f.unrecoverableTrades}.`);
    for (const a of f.alerts ?? []) lines.push(`- alert ${a.alertname} (${a.severity}) firing ${a.firstAt} → ${a.lastAt}`);
    const c = f.completeness;
    if (c) {
      lines.push(`- ${c.topic}: ${c.records} records, ${c.missing} missing, ${c.duplicated} duplicated ids`);
      for (const h of c.holes) lines.push(`  - ${h.symbol} missing ${h.from}..${h.to}`);
    }
  }
  for (const n of d.notes) lines.push(`- ${n}`);
  for (const l of d.links) lines.push(`- [${l.label}](${l.url})`);
  return [...lines, ''];
}

export function validationMarkdown(r: ValidationReport): string {
  return [
    `# Production validation ${r.workflowId}`,
    '',
    `**${r.verdict.summary}**`,
    '',
    `Build ${r.buildId ?? '(not given)'}; started ${r.startedAt}; ${r.plannedDays} checks every ${formatDuration(r.intervalHours * 3_600_000)}; state ${r.state}${r.nextCheckAt ? `; next check ${r.nextCheckAt}` : ''}.`,
    ...(r.abortReason ? ['', `Aborted: ${r.abortReason}`] : []),
    '',
    '| day | window | result | RSS MB | trades/s | rotations | pings | critical alerts | missing | duplicated |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.days.map((d) => {
      const f = d.figures;
      const rss = f?.memory ? `${f.memory.minMb.toFixed(0)}–${f.memory.maxMb.toFixed(0)}` : '–';
      const critical = f?.alerts ? f.alerts.filter((a) => a.severity === 'critical').length : '–';
      return `| ${d.day} | ${formatDuration(d.windowHours * 3_600_000)} | ${d.error ? 'ERROR' : mark(d.pass)} | ${rss} | ${f ? f.tradesPerSecond.toFixed(1) : '–'} | ${f?.rotations ?? '–'} | ${f?.pings ?? '–'} | ${critical} | ${f?.completeness?.missing ?? '–'} | ${f?.completeness?.duplicated ?? '–'} |`;
    }),
    '',
    ...r.days.flatMap(dayLines),
  ].join('\n');
}

/** Four panels, one point per day. */
export function validationChart(r: ValidationReport): string {
  const days = r.days.filter((d) => d.figures);
  const per = (pick: (d: DayCheck) => number | undefined) =>
    days.flatMap((d) => {
      const v = pick(d);
      return v === undefined ? [] : [[d.day, Math.round(v * 10) / 10] as [number, number]];
    });
  const panel = (title: string, yLabel: string, series: { name: string; points: [number, number][] }[], thresholds?: { value: number; label: string }[]) =>
    lineChartSvg({ title, xLabel: 'day', yLabel, series, thresholds, height: 260 });
  const [low, high] = r.bars.rssBandMb;
  return stackCharts(
    [
      panel('Worker RSS per day (min and max)', 'MB', [
        { name: 'RSS max', points: per((d) => d.figures!.memory?.maxMb) },
        { name: 'RSS min', points: per((d) => d.figures!.memory?.minMb) },
      ], [{ value: high, label: `${high} MB` }, { value: low, label: `${low} MB` }]),
      panel('Trades acknowledged per second', 'trades/s', [{ name: 'trades/s', points: per((d) => d.figures!.tradesPerSecond) }], [
        { value: r.bars.minTradesPerSecond, label: `${r.bars.minTradesPerSecond}/s` },
      ]),
      panel('Rotations per check', 'rotations', [
        { name: 'rotations', points: per((d) => d.figures!.rotations) },
        { name: 'expected', points: per((d) => d.expected?.rotations.expected) },
      ]),
      panel('Pings sent per check', 'pings', [
        { name: 'pings', points: per((d) => d.figures!.pings) },
        { name: 'pongs', points: per((d) => d.figures!.pongs) },
        { name: 'expected', points: per((d) => d.expected?.pings.expected) },
      ]),
    ].map((svg) => ({ svg, height: 260 })),
  );
}

/** Writes the three files into `dir` (each atomically); returns their paths. */
export function writeValidationReport(dir: string, r: ValidationReport): { json: string; markdown: string; chart: string } {
  mkdirSync(dir, { recursive: true });
  const paths = { json: join(dir, REPORT_FILES.json), markdown: join(dir, REPORT_FILES.markdown), chart: join(dir, REPORT_FILES.chart) };
  // The snapshots are the next check's baseline, not evidence anyone reads.
  writeAtomic(paths.json, JSON.stringify({ ...r, days: r.days.map(({ snapshot: _s, ...d }) => d) }, null, 2));
  writeAtomic(paths.markdown, validationMarkdown(r));
  writeAtomic(paths.chart, validationChart(r));
  return paths;
}
