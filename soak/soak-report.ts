import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg, stackCharts } from '../lib/report/line-chart';
import { writeAtomic } from '../lib/report/write-atomic';
import { SoakSample } from './soak-samples';
import { MemoryFit } from './soak-verdict';

export const PROFILE_FILE = 'binance_soak_memory_profile.json';
export const CHART_FILE = 'binance_soak_memory_profile.svg';

/**
 * The memory profile (the plan's file name: samples and summary) and its picture: RSS and V8
 * heap with the linear fit over the day, and the rate, in two panels of one SVG.
 */
export function writeSoakReport(dir: string, report: Record<string, unknown> & { samples: SoakSample[]; memory: MemoryFit }): string[] {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, PROFILE_FILE), JSON.stringify(report, null, 2));
  const hours = (s: SoakSample) => Math.round((s.dayS / 3600) * 1000) / 1000;
  const withRss = report.samples.filter((s) => s.rssMb !== null);
  const fitted = report.memory.pid === null ? [] : withRss.filter((s) => s.pid === report.memory.pid);
  const fit = (() => {
    if (fitted.length < 2) return [];
    // The fit is per wall hour; drawn over the simulated day it is the same line.
    const mid = fitted[Math.floor(fitted.length / 2)];
    const at = (s: SoakSample) => mid.rssMb! + report.memory.slopeMbPerHour * ((s.wallS - mid.wallS) / 3600);
    return [fitted[0], fitted[fitted.length - 1]].map((s) => [hours(s), Math.round(at(s) * 10) / 10] as [number, number]);
  })();
  const memory = lineChartSvg({
    title: 'Worker memory over the soak',
    xLabel: 'simulated hours',
    yLabel: 'MB',
    series: [
      { name: 'RSS', points: withRss.map((s) => [hours(s), Math.round(s.rssMb! * 10) / 10]) },
      { name: 'V8 heap used', points: report.samples.filter((s) => s.heapUsedMb !== null).map((s) => [hours(s), Math.round(s.heapUsedMb! * 10) / 10]) },
      { name: 'RSS linear fit', points: fit },
    ],
    thresholds: [{ value: 200, label: '200 MB target' }],
  });
  const rate = lineChartSvg({
    title: 'Trades acknowledged by Kafka',
    xLabel: 'simulated hours',
    yLabel: 'trades per second (wall)',
    series: [{ name: 'acked/s', points: report.samples.slice(1).map((s) => [hours(s), Math.round(s.ackedPerSecond)]) }],
    height: 300,
  });
  writeAtomic(join(dir, CHART_FILE), stackCharts([{ svg: memory, height: 400 }, { svg: rate, height: 300 }]));
  return [join(dir, PROFILE_FILE), join(dir, CHART_FILE)];
}
