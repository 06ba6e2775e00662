// The few calls k2 makes to the Prometheus HTTP API (/api/v1/query and /api/v1/query_range).
// Written over fetch: the npm client (prometheus-query) would bring axios for two GET requests.

export interface FiredAlert {
  alertname: string;
  severity: string;
  firstAt: string;
  lastAt: string;
  labels: Record<string, string>;
}

/** One series of raw samples: [unix seconds, value]. */
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, number][];
}

export class PromApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromApiError';
  }
}

async function get<T>(baseUrl: string, path: string, params: Record<string, string>): Promise<T> {
  const url = `${baseUrl.replace(/\/$/, '')}/api/v1/${path}?${new URLSearchParams(params)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw new PromApiError(`Prometheus at ${baseUrl} unreachable: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as { status: string; data: T; error?: string } | undefined;
  if (!res.ok || body?.status !== 'success') throw new PromApiError(`Prometheus ${path} ${params.query}: HTTP ${res.status} ${body?.error ?? ''}`.trim());
  return body.data;
}

type Matrix = { result: { metric: Record<string, string>; values: [number, string][] }[] };

const toSeries = (m: Matrix): PromSeries[] => m.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [t, Number(v)]) }));

/**
 * Every sample Prometheus stored for `selector` between `fromS` and `toS` (unix seconds), as
 * scraped: a range selector evaluated at `toS`, so nothing is interpolated or resampled.
 */
export async function rawSamples(baseUrl: string, selector: string, fromS: number, toS: number): Promise<PromSeries[]> {
  const rangeS = Math.max(1, Math.ceil(toS - fromS));
  const data = await get<Matrix>(baseUrl, 'query', { query: `${selector}[${rangeS}s]`, time: String(toS) });
  return toSeries(data);
}

/**
 * Every alert that was firing at some point between `fromMs` and `toMs`, evaluated every
 * `stepS` seconds; `matchers` narrow the ALERTS series (e.g. `job="k2-stream-worker"`).
 */
export async function firedAlerts(baseUrl: string, fromMs: number, toMs: number, stepS: number, matchers = ''): Promise<FiredAlert[]> {
  const data = await get<Matrix>(baseUrl, 'query_range', {
    query: `ALERTS{alertstate="firing"${matchers ? `,${matchers}` : ''}}`,
    start: String(fromMs / 1000),
    end: String(toMs / 1000),
    step: `${stepS}s`,
  });
  return data.result.map(({ metric, values }) => {
    const { __name__: _n, alertstate: _s, alertname, severity, ...labels } = metric;
    return {
      alertname,
      severity: severity ?? '',
      firstAt: new Date(values[0][0] * 1000).toISOString(),
      lastAt: new Date(values[values.length - 1][0] * 1000).toISOString(),
      labels,
    };
  });
}

/** A link that opens `expr` in Prometheus' graph page over the window ending at `toMs`. */
export function graphLink(baseUrl: string, expr: string, fromMs: number, toMs: number): string {
  const params = new URLSearchParams({
    'g0.expr': expr,
    'g0.tab': '0',
    'g0.range_input': `${Math.max(1, Math.round((toMs - fromMs) / 1000))}s`,
    'g0.end_input': new Date(toMs).toISOString().replace('T', ' ').replace(/\..*/, ''),
  });
  return `${baseUrl.replace(/\/$/, '')}/graph?${params}`;
}

/**
 * How much a counter grew over consecutive samples, a drop counting as a restart from zero:
 * PromQL's increase() without its extrapolation to the window's edges, so consecutive windows
 * add up exactly.
 */
export function counterIncrease(values: number[]): number {
  let total = 0;
  for (let i = 1; i < values.length; i++) total += values[i] >= values[i - 1] ? values[i] - values[i - 1] : values[i];
  return total;
}
