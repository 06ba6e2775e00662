import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';
import { projectRoot } from '../lib/paths';
import { writeBenchReport } from './report';

// How many messages per second the simulator sustains to one client, for 1, 10 and 100
// symbols, with the simulator in its own process (as in a soak run) and its RSS at that load.
// The client only counts frames, so the figure is the simulator's, not a parser's.

interface Scenario {
  symbols: number;
  targetPerSecond: number;
}

const SYMBOL_POOL = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'XRPUSDT'];
const symbolsFor = (n: number) => Array.from({ length: n }, (_, i) => SYMBOL_POOL[i] ?? `SYM${i}USDT`);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function run(s: Scenario, seconds: number, warmup: number) {
  const symbols = symbolsFor(s.symbols);
  const child = spawn(
    process.execPath,
    [join(projectRoot, 'bin', 'k2.js'), 'simulator', '--port', '0', '--control-port', '0', '--json',
      '--symbols', symbols.join(','), '--rate', String(s.targetPerSecond / s.symbols), '--retention', '50000', '--stats-interval', '3600'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const urls = JSON.parse(line) as { ws: string; control: string };
  const ws = new WebSocket(`${urls.ws}/stream?streams=${symbols.map((x) => `${x.toLowerCase()}@trade`).join('/')}`, { maxPayload: 1 << 20 });
  let count = 0;
  ws.on('message', () => count++);
  await new Promise((r) => ws.once('open', r));
  const perSecond: [number, number][] = [];
  let rss = 0;
  for (let t = 1; t <= warmup + seconds; t++) {
    const before = count;
    await new Promise((r) => setTimeout(r, 1000));
    const rate = count - before;
    if (t > warmup) {
      perSecond.push([t - warmup, rate]);
      rss = Math.max(rss, rssMb(child.pid!));
    }
    process.stderr.write(
      `[${s.symbols} symbols] ${t}/${warmup + seconds} s  ${rate.toLocaleString('en-US')} msg/s  ETA ${warmup + seconds - t} s\n`,
    );
  }
  ws.terminate();
  child.kill('SIGTERM');
  const rates = perSecond.map((p) => p[1]).sort((a, b) => a - b);
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return { ...s, sustainedPerSecond: Math.round(mean), p10PerSecond: rates[Math.floor(rates.length * 0.1)], peakRssMb: Math.round(rss), perSecond };
}

async function main() {
  const seconds = Number(process.env.BENCH_SECONDS ?? 15);
  const target = Number(process.env.BENCH_TARGET ?? 60_000);
  const results = [];
  for (const symbols of [1, 10, 100]) results.push(await run({ symbols, targetPerSecond: target }, seconds, 3));
  writeBenchReport('simulator-throughput', { results }, {
    title: `Simulator → one ws client, target ${target.toLocaleString('en-US')} msg/s`,
    xLabel: 'seconds',
    yLabel: 'messages per second',
    series: results.map((r) => ({ name: `${r.symbols} symbols`, points: r.perSecond })),
    thresholds: [{ value: 50_000, label: 'required 50k/s' }],
  });
  console.log('symbols  sustained msg/s  p10 msg/s  simulator RSS');
  for (const r of results) {
    console.log(`${String(r.symbols).padStart(7)}  ${r.sustainedPerSecond.toLocaleString('en-US').padStart(15)}  ${r.p10PerSecond.toLocaleString('en-US').padStart(9)}  ${r.peakRssMb} MB`);
  }
}

void main();
