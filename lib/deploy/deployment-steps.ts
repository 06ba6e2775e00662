import { Client } from '@temporalio/client';
import { Kafka } from 'kafkajs';
import { auditTopic } from '../audit/topic-audit';
import { tradeKeyDecoder } from '../avro/serializer';
import { Config } from '../config';
import { partitionRangesSince, readPartitionRanges } from '../kafka/partition-reader';
import { firedAlerts } from '../prometheus/prom-api';
import { waitUntil } from '../../ops/infra/readiness';
import { shadowSession } from '../../workflows/shadow-session';
import { stopSignal } from '../../workflows/stream-session-api';
import { sessionMetadata } from '../../workflows/stream-session-status';
import type { Comparison } from '../../workflows/blue-green-api';
import { compareWindows, tradesSince } from './compare-topics';
import { DeployDriver, DriverName } from './deploy-driver';
import { liveSessions, rotateOnto, sessionStatus, SHADOW_MARK } from './live-sessions';
import { buildHasPollers, describeDeployment, pendingActivityBuild, setCurrentVersion, waitForVersion } from './worker-deployment';

export interface DeployContext {
  client: Client;
  config: Config;
  kafka: Kafka;
  driver(name: DriverName): DeployDriver;
  identity: string;
  /** Keeps a long step's activity alive (a heartbeat). */
  beat(): void;
}

// Trades younger than this may not be written by both sides yet when a window is compared.
const SETTLE_MS = 5_000;
// A rotation waits for the old run to drain (REST catch-up, flush): up to about a minute.
const MOVE_TIMEOUT_MS = 120_000;

const shadowTopic = (config: Config) => `${config.kafka_topic}.shadow`;

/** The steps of a blue-green deployment, over the client, Kafka and a driver; the workflow orders them. */
export function deploymentSteps(c: DeployContext) {
  const { client, config } = c;
  const ns = client.options.namespace;
  const deployment = config.deployment_name;

  /** Critical alerts of the project's rules that fired since `sinceMs`, when a Prometheus is configured to ask. */
  async function criticalAlerts(sinceMs: number): Promise<{ fired: string[]; checked: string }> {
    if (!config.prometheus_url) return { fired: [], checked: 'critical alerts not checked (no prometheus_url)' };
    const fired = await firedAlerts(config.prometheus_url, sinceMs, Date.now(), 15, 'severity="critical"');
    return { fired: [...new Set(fired.map((a) => a.alertname))], checked: `no critical alert in ${config.prometheus_url}` };
  }

  return {
    async preflight(i: { buildId: string; workflowId: string }): Promise<{ blueBuildId: string; liveSessions: string[]; symbols: string[]; streamTaskQueue: string; refused?: string }> {
      const d = await describeDeployment(client.workflowService, ns, deployment);
      const blueBuildId = d?.current ?? '';
      const sessions = await liveSessions(client, config.task_queue);
      const base = { blueBuildId, liveSessions: sessions, symbols: [] as string[], streamTaskQueue: config.task_queue };
      if (!d?.current) return { ...base, refused: `deployment ${deployment} has no current version: nothing to deploy over` };
      if (d.current === i.buildId) return { ...base, refused: `build ${i.buildId} is already current` };
      for await (const w of client.workflow.list({ query: `WorkflowType = 'blueGreenDeployment' AND ExecutionStatus = 'Running'` })) {
        if (w.workflowId !== i.workflowId) return { ...base, refused: `deployment ${w.workflowId} is running: one at a time` };
      }
      const symbols = new Set<string>();
      for (const id of sessions) for (const s of (await sessionStatus(client, id)).symbols) symbols.add(s);
      return { ...base, symbols: [...symbols].sort() };
    },

    async build(i: { driver: DriverName; buildId: string; source?: string }) {
      // An image build or a compile takes minutes, longer than the heartbeat timeout.
      c.beat();
      const beating = setInterval(() => c.beat(), 10_000);
      try {
        return await c.driver(i.driver).build(i.buildId, i.source);
      } finally {
        clearInterval(beating);
      }
    },

    async startGreen(i: { driver: DriverName; buildId: string; env: Record<string, string> }) {
      const started = await c.driver(i.driver).start(i.buildId, i.env);
      const t0 = Date.now();
      const beat = setInterval(() => c.beat(), 5_000);
      try {
        await waitForVersion(client.workflowService, ns, deployment, i.buildId, { timeoutMs: 300_000 });
      } finally {
        clearInterval(beat);
      }
      return { ...started, detail: `${started.detail}; pollers seen after ${Date.now() - t0} ms` };
    },

    /** A session pinned to green, on the same symbols, into `<topic>.shadow`: green's smoke test and twin. */
    async startShadow(i: { buildId: string; symbols: string[] }) {
      const workflowId = `${config.workflow_id}${SHADOW_MARK}${i.buildId}`;
      // Seen on server 1.29.1 under load: the first activity of a workflow pinned to a version that
      // had just appeared was handed to the current version's worker. Green's activity poller is
      // awaited first, and a shadow whose stream starts elsewhere is started again.
      await waitUntil(`an activity poller of ${i.buildId}`, () => buildHasPollers(client.workflowService, ns, config.task_queue, i.buildId, 10_000, 'activity'), { timeoutMs: 60_000, intervalMs: 500 });
      const topic = shadowTopic(config);
      const tries: string[] = [];
      for (let attempt = 1; ; attempt++) {
        c.beat();
        await client.workflow.start(shadowSession, {
          taskQueue: config.task_queue,
          workflowId,
          workflowIdConflictPolicy: 'TERMINATE_EXISTING',
          args: [{ symbols: i.symbols, heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000, searchAttributes: false, topic, dlqTopic: `${topic}.dlq` }],
          versioningOverride: { pinnedTo: { deploymentName: deployment, buildId: i.buildId } },
          ...sessionMetadata({ symbols: i.symbols, topic, dlqTopic: `${topic}.dlq`, build: i.buildId, workflowId }),
        });
        let on: Awaited<ReturnType<typeof pendingActivityBuild>>;
        await waitUntil('the shadow stream', async () => !!(on = await pendingActivityBuild(client.workflowService, ns, workflowId)), { timeoutMs: 30_000, intervalMs: 500 }).catch(() => undefined);
        if (!on || on.buildId === i.buildId || attempt === 3) return { workflowId, redispatched: tries };
        tries.push(`attempt ${attempt} started on ${on.buildId ?? 'an unversioned worker'}`);
        await client.workflow.getHandle(workflowId).terminate(`its stream started on ${on.buildId}, not ${i.buildId}`);
      }
    },

    async checkShadow(i: { workflowId: string; buildId: string }) {
      const s = await sessionStatus(client, i.workflowId);
      const on = await pendingActivityBuild(client.workflowService, ns, i.workflowId);
      const silent = Object.entries(s.perSymbol).filter(([, p]) => p.total === 0).map(([sym]) => sym);
      const problems = [
        on?.buildId !== i.buildId ? `its stream does not run on ${i.buildId} (${on?.buildId ?? 'not running'})` : '',
        s.pipelineState !== 'streaming' ? `pipeline ${s.pipelineState ?? 'not reporting'}` : '',
        silent.length ? `no trade acknowledged for ${silent.join(', ')}` : '',
        s.lastError ? `last error: ${s.lastError}` : '',
      ].filter(Boolean);
      const total = Object.values(s.perSymbol).reduce((n, p) => n + p.total, 0);
      return { ok: problems.length === 0, summary: problems.length ? problems.join('; ') : `green streamed and acknowledged ${total} trades` };
    },

    async compare(i: { fromMs: number; toMs: number; driver: DriverName; buildId: string; shadowWorkflowId: string; maxRssMb?: number }): Promise<Comparison> {
      const to = i.toMs - SETTLE_MS;
      const s = await sessionStatus(client, i.shadowWorkflowId);
      // The shadow starts at the live stream without a cursor: nothing before its first trade is its to write.
      const from = Math.max(i.fromMs - SETTLE_MS, Date.parse(s.firstTradeAt ?? '') + 1_000 || 0);
      const [blue, green] = await Promise.all([tradesSince(c.kafka, config.kafka_topic, i.fromMs - 60_000), tradesSince(c.kafka, shadowTopic(config), i.fromMs - 60_000)]);
      const w = compareWindows(blue, green, from, to);
      const greenRssMb = (await c.driver(i.driver).rssMb(i.buildId)) ?? null;
      const greenErrors = [
        s.pipelineState !== 'streaming' ? `shadow pipeline ${s.pipelineState}` : '',
        s.lastError ? `shadow: ${s.lastError}` : '',
        greenRssMb !== null && i.maxRssMb !== undefined && greenRssMb > i.maxRssMb ? `green RSS ${Math.round(greenRssMb)} MB > ${i.maxRssMb} MB` : '',
      ].filter(Boolean);
      return {
        at: new Date().toISOString(),
        windowMs: to - from,
        symbols: w.symbols,
        latencyP99Ms: w.latencyP99Ms,
        greenRssMb: greenRssMb === null ? null : Math.round(greenRssMb),
        greenErrors,
        ok: greenErrors.length === 0 && w.symbols.every((x) => x.onlyBlue === 0 && x.onlyGreen === 0),
      };
    },

    async cutover(i: { buildId: string; sessions: string[] }) {
      c.beat();
      const previous = await setCurrentVersion(client.workflowService, ns, deployment, i.buildId, c.identity);
      const moved = await rotateOnto(client, i.sessions, i.buildId, { reason: `deploy ${i.buildId}`, timeoutMs: MOVE_TIMEOUT_MS, beat: c.beat });
      const gaps = moved.map((m) => m.gapMs).filter((g): g is number => g !== null);
      return { previous: previous ?? '', moved, gapMs: gaps.length ? Math.max(...gaps) : 0 };
    },

    async stopShadow(i: { workflowId: string }) {
      const handle = client.workflow.getHandle(i.workflowId);
      await handle.signal(stopSignal).catch(() => undefined);
      const done = await Promise.race([handle.result().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 60_000))]).catch(() => false);
      if (!done) await handle.terminate('deployment: shadow session no longer needed').catch(() => undefined);
      return done ? 'shadow session stopped' : 'shadow session terminated';
    },

    /** Green after the cutover: sessions stream, nothing unrecoverable, the topic contiguous since, memory bounded. */
    async validate(i: { sinceMs: number; sessions: string[]; driver: DriverName; buildId: string; maxRssMb?: number }) {
      const problems: string[] = [];
      for (const id of i.sessions) {
        // A stream between two attempts or runs is briefly not running: give it a little while.
        let on: Awaited<ReturnType<typeof pendingActivityBuild>>;
        for (let t = 0; t < 15 && (on = await pendingActivityBuild(client.workflowService, ns, id))?.buildId !== i.buildId; t++) await new Promise((r) => setTimeout(r, 1_000));
        if (on?.buildId !== i.buildId) {
          problems.push(`${id} does not stream on green (${on ? `on ${on.buildId}` : 'not running'})`);
          continue;
        }
        // Green answers the session's queries now; one that does not answer is a problem, not a wait.
        const s = await Promise.race([sessionStatus(client, id), new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]).catch(() => undefined);
        if (!s) problems.push(`${id} does not answer its status query`);
        else if (!['streaming', 'rotating'].includes(s.state)) problems.push(`${id} is ${s.state}`);
      }
      const audit = await auditTopic(c.kafka, config.kafka_topic, tradeKeyDecoder(), { sinceMs: i.sinceMs, timeoutMs: 120_000 });
      const missing = [...audit.values()].reduce((n, a) => n + a.missingCount, 0);
      const duplicated = [...audit.values()].reduce((n, a) => n + a.duplicates, 0);
      if (missing || duplicated) problems.push(`topic since the cutover: ${missing} missing, ${duplicated} duplicated`);
      let unrecoverable = 0;
      await readPartitionRanges(c.kafka, config.kafka_dlq_topic, await partitionRangesSince(c.kafka, config.kafka_dlq_topic, i.sinceMs), (_p, _o, v) => {
        if (v && String(v).includes('"unrecoverable_gap"')) unrecoverable++;
      }, { timeoutMs: 60_000, purpose: 'deploy-dlq' });
      if (unrecoverable) problems.push(`${unrecoverable} unrecoverable gap(s) since the cutover`);
      const rss = await c.driver(i.driver).rssMb(i.buildId);
      if (rss !== undefined && i.maxRssMb !== undefined && rss > i.maxRssMb) problems.push(`green RSS ${Math.round(rss)} MB > ${i.maxRssMb} MB`);
      const alerts = await criticalAlerts(i.sinceMs);
      if (alerts.fired.length) problems.push(`critical alert(s) fired since the cutover: ${alerts.fired.join(', ')}`);
      const trades = [...audit.values()].reduce((n, a) => n + a.count, 0);
      return {
        ok: problems.length === 0,
        summary: problems.length ? problems.join('; ') : `${trades} trades since the cutover, contiguous; green RSS ${rss === undefined ? 'n/a' : `${Math.round(rss)} MB`}; ${alerts.checked}`,
      };
    },

    /** Blue current again, the sessions back on it, green stopped; timed from the decision to blue's first trade. */
    async rollback(i: { driver: DriverName; blueBuildId: string; buildId: string; sessions: string[]; cutoverDone: boolean; shadowWorkflowId?: string; stopGreen: boolean }) {
      const t0 = Date.now();
      const done: string[] = [];
      if (i.shadowWorkflowId) {
        await client.workflow.getHandle(i.shadowWorkflowId).terminate('deployment rolled back').catch(() => undefined);
        done.push('shadow session ended');
      }
      let firstTradeMs = 0;
      if (i.cutoverDone) {
        await setCurrentVersion(client.workflowService, ns, deployment, i.blueBuildId, c.identity);
        const moved = await rotateOnto(client, i.sessions, i.blueBuildId, { reason: `rollback from ${i.buildId}`, timeoutMs: MOVE_TIMEOUT_MS, beat: c.beat });
        firstTradeMs = Date.now() - t0;
        done.push(`blue ${i.blueBuildId} current, ${moved.length} session(s) back on blue`);
      } else {
        done.push(`blue ${i.blueBuildId} stayed current`);
      }
      if (i.stopGreen) done.push(await c.driver(i.driver).stop(i.buildId));
      return { ms: i.cutoverDone ? firstTradeMs : Date.now() - t0, summary: done.join('; ') };
    },

    async finish(i: { driver: DriverName; blueBuildId: string; sessions: string[] }) {
      for (const id of i.sessions) {
        const on = await pendingActivityBuild(client.workflowService, ns, id);
        if (on?.buildId === i.blueBuildId) throw new Error(`${id} still streams on blue ${i.blueBuildId}: blue not stopped`);
      }
      return { summary: await c.driver(i.driver).stop(i.blueBuildId) };
    },
  };
}

export type DeploymentSteps = ReturnType<typeof deploymentSteps>;
