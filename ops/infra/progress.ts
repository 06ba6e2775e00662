import { SingleBar } from 'cli-progress';

export function formatSeconds(seconds: number): string {
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  return m > 0 ? `${m}m${String(total % 60).padStart(2, '0')}s` : `${total}s`;
}

/**
 * Shows progress of a step whose length is only known from experience (a build, a download):
 * a bar on a terminal, otherwise a line every `intervalMs` with elapsed time and an estimate.
 */
export async function withProgress<T>(
  label: string,
  expectedSeconds: number,
  work: Promise<T>,
  intervalMs = 10_000,
): Promise<T> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const eta = () => formatSeconds(Math.max(0, expectedSeconds - elapsed()));
  let timer: NodeJS.Timeout;
  let bar: SingleBar | undefined;
  if (process.stderr.isTTY) {
    bar = new SingleBar({ format: `${label} [{bar}] {elapsed} elapsed, ~{left} left`, stream: process.stderr });
    bar.start(expectedSeconds, 0, { elapsed: '0s', left: eta() });
    timer = setInterval(() => bar!.update(Math.min(elapsed(), expectedSeconds * 0.99), { elapsed: formatSeconds(elapsed()), left: eta() }), 500);
  } else {
    timer = setInterval(
      () => process.stderr.write(`${label}: ${formatSeconds(elapsed())} elapsed, ~${eta()} left (estimate)\n`),
      intervalMs,
    );
  }
  try {
    return await work;
  } finally {
    clearInterval(timer);
    if (bar) {
      bar.update(expectedSeconds, { elapsed: formatSeconds(elapsed()), left: '0s' });
      bar.stop();
    }
    process.stderr.write(`${label}: done in ${formatSeconds(elapsed())}\n`);
  }
}
