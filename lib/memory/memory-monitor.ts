import { readFileSync } from 'node:fs';
import { createLogger } from '../logger';
import { metrics } from '../metrics';
import { leakScore, LeakFit, MemorySample } from './leak-score';

const log = createLogger('memory');

function vmsBytes(): number {
  try {
    const kb = Number(/VmSize:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : 0;
  } catch {
    return 0; // not Linux
  }
}

/**
 * Samples RSS and VMS every `intervalMs` into a sliding window of `windowSize` samples and
 * publishes process_memory_rss_bytes, process_memory_vms_bytes and memory_leak_detection_score;
 * a score above `warnAbove` is logged as a warning.
 */
export class MemoryMonitor {
  private readonly samples: MemorySample[] = [];
  private timer?: NodeJS.Timeout;
  last: LeakFit = { slopeMbPerHour: 0, r2: 0, score: 0 };

  constructor(
    private readonly intervalMs: number,
    private readonly windowSize: number,
    private readonly warnAbove = 0.8,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  sample(now = Date.now(), rss = process.memoryUsage.rss()): LeakFit {
    this.samples.push({ at: now, rssBytes: rss });
    if (this.samples.length > this.windowSize) this.samples.shift();
    metrics.rss.set(rss);
    metrics.vms.set(vmsBytes());
    metrics.arrayBuffers.set(process.memoryUsage().arrayBuffers);
    this.last = leakScore(this.samples);
    metrics.leakScore.set(this.last.score);
    if (this.last.score > this.warnAbove) {
      log.warn({ event: 'memory.leak-suspected', score: this.last.score, slopeMbPerHour: this.last.slopeMbPerHour, r2: this.last.r2, rssBytes: rss });
    }
    return this.last;
  }
}
