import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registry } from '../../../lib/metrics';
import { collectProcessMetrics } from '../../../lib/metrics';
import { rulesWithShortFor } from '../../../ops/infra/prometheus';

const root = join(__dirname, '../../..');
collectProcessMetrics();
const known = new Set(registry.getMetricsAsArray().map((m) => m.name));
// Series Prometheus derives: histogram parts, and `up` from the scrape itself.
const derived = (name: string) => known.has(name.replace(/_(bucket|sum|count)$/, '')) || name === 'up';

function metricNames(expr: string): string[] {
  const words = expr.match(/[a-z_][a-z0-9_]*(?=\s*[{[)]|\s*[><=!]|\s*$|\s+or\b|\s+and\b)/g) ?? [];
  return words.filter((w) => /_(total|seconds|bytes|score|size|records|paused|up|enabled|bucket)$/.test(w) || w === 'up');
}

test('every metric the dashboard plots is one the worker exposes', () => {
  const dash = JSON.parse(readFileSync(join(root, 'ops/grafana/k2-stream-dashboard.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  const names = dash.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(t.expr)));
  expect(names.length).toBeGreaterThan(20);
  expect(names.filter((n) => !derived(n))).toEqual([]);
});

test('every metric an alert reads is one the worker exposes, and every alert has a runbook', () => {
  const rules = readFileSync(join(root, 'ops/prometheus/rules/critical_alerts.yml'), 'utf8');
  const exprs = [...rules.matchAll(/expr: (.+)/g)].map((m) => m[1]);
  expect(exprs.flatMap(metricNames).filter((n) => !derived(n))).toEqual([]);
  const runbooks = [...rules.matchAll(/runbook_url: (\S+)/g)].map((m) => m[1]);
  expect(runbooks).toHaveLength(exprs.length);
  for (const r of runbooks) expect(readFileSync(join(root, r), 'utf8')).toMatch(/^# /);
});

test('the short-for variant changes only the for: durations', () => {
  const rules = readFileSync(join(root, 'ops/prometheus/rules/critical_alerts.yml'), 'utf8');
  const variant = rulesWithShortFor(rules, '1s');
  expect([...variant.matchAll(/for: (\S+)/g)].map((m) => m[1])).toEqual(Array(5).fill('1s'));
  expect(variant.replace(/for: \S+/g, '')).toBe(rules.replace(/for: \S+/g, ''));
});
