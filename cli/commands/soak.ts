import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../lib/config';
import { projectRoot } from '../../lib/paths';
import { binanceSymbols } from '../../simulator/binance-symbols';
import { parseDuration } from '../../lib/duration';
import { runSoak, SoakProfile } from '../../soak/soak-runner';
import { nonNegativeInt, positiveNumber, symbolsOrCount } from '../options';

const duration = (v: string) => {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

interface SoakFlags {
  duration: number;
  symbols: string[];
  rate?: number;
  profile: SoakProfile;
  rotateEvery?: number;
  accelerate: number;
  chaos?: boolean;
  chaosEvery: number;
  seed: number;
  out: string;
  sampleEvery: number;
  reportEvery: number;
  maxRssMb: number;
  maxGrowthMb: number;
  maxLeakScore: number;
  keepTopic?: boolean;
}

export function soakCommand(): Command {
  return new Command('soak')
    .description(
      'the release soak (plan step 07): simulator, a worker process, a session of its own; samples memory and the stream, writes binance_soak_memory_profile.{json,svg}, checks every id against ground truth; exit 0 only if every bar holds',
    )
    .addOption(new Option('--duration <d>', 'simulated length (24h, 90m, …)').argParser(duration).default(24 * 3_600_000, '24h'))
    .addOption(new Option('--symbols <list|n>', 'symbols, or a count of Binance-like USDT pairs (majors first)').argParser(symbolsOrCount).default(binanceSymbols(100), '100'))
    .option('--rate <n>', 'trades per simulated second over all symbols (binance profile default: ~4 per symbol)', positiveNumber)
    .addOption(new Option('--profile <p>', 'traffic: binance is a realistic skewed mix with bursts').choices(['steady', 'bursty', 'quiet', 'binance']).default('binance'))
    .option('--rotate-every <d>', 'connection lifetime (default: connection_max_lifetime_hours)', duration)
    .option('--accelerate <n>', 'run the same day N times faster: rates ×N; lifetimes, the 24 h cut and pings ÷N', positiveNumber, 1)
    .option('--chaos', 'inject faults at seeded random times: kill the worker, drop pongs, serverShutdown, stall, restart Kafka')
    .addOption(new Option('--chaos-every <d>', 'one fault per this much wall time').argParser(duration).default(10 * 60_000, '10m'))
    .option('--seed <n>', 'seed of the traffic and the chaos schedule', nonNegativeInt, 7)
    .option('--out <dir>', 'where the report goes', 'soak/results')
    .addOption(new Option('--sample-every <d>', 'wall time between samples').argParser(duration).default(30_000, '30s'))
    .addOption(new Option('--report-every <d>', 'wall time between interim reports (a killed soak still leaves one)').argParser(duration).default(10 * 60_000, '10m'))
    .option('--max-rss-mb <n>', 'bar: steady RSS (p95 after warm-up)', positiveNumber, 200)
    .option('--max-growth-mb <n>', 'bar: fitted RSS growth per 24 h', positiveNumber, 10)
    .option('--max-leak-score <n>', 'bar: memory_leak_detection_score at the end (below)', positiveNumber, 0.8)
    .option('--keep-topic', 'keep the soak topic (default: deleted after the check)')
    .action(async (f: SoakFlags) => {
      const config = loadConfig();
      const rate = f.rate ?? (f.profile === 'binance' ? 4 * f.symbols.length : 10 * f.symbols.length);
      const { pass } = await runSoak({
        durationMs: f.duration,
        symbols: f.symbols,
        rate,
        profile: f.profile,
        rotateEveryMs: f.rotateEvery ?? config.connection_max_lifetime_hours * 3_600_000,
        accelerate: f.accelerate,
        chaos: !!f.chaos,
        chaosEveryMs: f.chaosEvery,
        seed: f.seed,
        outDir: resolve(projectRoot, f.out),
        sampleEveryMs: f.sampleEvery,
        reportEveryMs: f.reportEvery,
        maxRssMb: f.maxRssMb,
        maxGrowthMb: f.maxGrowthMb,
        maxLeakScore: f.maxLeakScore,
        keepTopic: !!f.keepTopic,
      });
      process.exit(pass ? 0 : 1);
    });
}
