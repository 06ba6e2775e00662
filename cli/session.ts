import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Config } from '../lib/config';
import { connectTemporalClient } from '../lib/temporal/connection';
import { SearchAttributeType } from '@temporalio/common';
import { streamSearchAttributes, StreamRotation, StreamState, StreamSymbols } from '../lib/search-attributes';
import { streamSession } from '../workflows';
import { SessionStatus, statusQuery } from '../workflows/stream-session-api';
import { sessionMetadata } from '../workflows/stream-session-status';

export interface Session {
  client: Client;
  connection: Connection;
  handle: WorkflowHandle<typeof streamSession>;
  close(): Promise<void>;
}

export function connectClient(config: Config): Promise<{ client: Client; connection: Connection }> {
  return connectTemporalClient(config);
}

export async function sessionHandle(config: Config, workflowId = config.workflow_id): Promise<Session> {
  const { client, connection } = await connectClient(config);
  return { client, connection, handle: client.workflow.getHandle<typeof streamSession>(workflowId), close: () => connection.close() };
}

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const INDEXED: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};

/** Registers the Web UI columns when missing; false if the namespace does not allow it. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<boolean> {
  const wanted = Object.fromEntries(streamSearchAttributes.map((k) => [k.name, INDEXED[k.type]!]));
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.fromEntries(Object.entries(wanted).filter(([name]) => !(customAttributes && name in customAttributes)));
    if (Object.keys(missing).length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    return true;
  } catch {
    return false;
  }
}

/** Starts the session unless one with this id runs; says which. */
export async function startSession(
  config: Config,
  o: { symbols: string[]; workflowId: string; maxLifetimeMs?: number },
): Promise<{ session: Session; started: boolean }> {
  const { client, connection } = await connectClient(config);
  const searchAttributes = await ensureSearchAttributes(connection, config.temporal_namespace);
  const symbols = o.symbols.map((s) => s.toUpperCase());
  try {
    const handle = await client.workflow.start(streamSession, {
      taskQueue: config.task_queue,
      workflowId: o.workflowId,
      args: [
        {
          symbols,
          maxLifetimeMs: o.maxLifetimeMs,
          heartbeatTimeoutMs: config.heartbeat_timeout_seconds * 1000,
          searchAttributes,
        },
      ],
      ...(searchAttributes
        ? { typedSearchAttributes: [{ key: StreamSymbols, value: symbols }, { key: StreamRotation, value: 0 }, { key: StreamState, value: 'starting' }] }
        : {}),
      // The Web UI's summary and details of the session (its current details the workflow keeps).
      ...sessionMetadata({ symbols, topic: config.kafka_topic, dlqTopic: config.kafka_dlq_topic, build: config.build_id, workflowId: o.workflowId }),
    });
    return { session: { client, connection, handle, close: () => connection.close() }, started: true };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const handle = client.workflow.getHandle<typeof streamSession>(o.workflowId);
    return { session: { client, connection, handle, close: () => connection.close() }, started: false };
  }
}

/**
 * The stream attempt's last failure while it waits to be retried (a refused password names its
 * setting here); undefined while an attempt runs or none failed.
 */
export async function failingAttempt(handle: WorkflowHandle<typeof streamSession>): Promise<string | undefined> {
  const { raw } = await handle.describe();
  const waiting = raw.pendingActivities?.find(
    (a) => a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED && (a.attempt ?? 0) > 1 && a.lastFailure?.message,
  );
  return waiting ? `stream attempt ${(waiting.attempt ?? 1) - 1} failed, retrying: ${waiting.lastFailure!.message}` : undefined;
}

export async function queryStatus(handle: WorkflowHandle<typeof streamSession>): Promise<SessionStatus> {
  return handle.query(statusQuery);
}

export function formatStatus(s: SessionStatus): string {
  const rows = Object.entries(s.perSymbol).map(([sym, p]) => {
    const rate = p.ratePerSec !== undefined ? `${p.ratePerSec.toFixed(1)}/s` : '-';
    const asOf = p.asOf ? `  (this run as of ${p.asOf})` : '';
    const line = `  ${sym.padEnd(10)} total ${String(p.total).padStart(10)}  this run ${String(p.thisRun).padStart(8)}  ${rate.padStart(9)}  last id ${p.lastId ?? '-'}  last trade ${p.lastTradeTime ?? '-'}${asOf}`;
    if (p.state !== 'id_regression' || !p.regression) return line;
    return `${line}\n  ${' '.repeat(10)} ID REGRESSION: live id ${p.regression.seenId} is far below cursor ${p.regression.lastId}; ${p.regression.held} trades held. Fix: k2 stream reset-cursor --symbol ${sym}`;
  });
  // A session of an older build answers without `overall`.
  const o = s.overall;
  const overall = o
    ? `all ${o.symbols} symbols: total ${o.total}, this run ${o.thisRun}, ${o.ratePerSec !== undefined ? `${o.ratePerSec.toFixed(1)}/s` : '-/s'}, newest trade ${o.lastTradeTime ?? '-'}${o.silent !== undefined ? `, ${o.silent} without a trade this run` : ''}, ${o.held} held`
    : '';
  return [
    `state ${s.state} (pipeline ${s.pipelineState ?? '-'}), rotation ${s.rotation}${s.lastRotationReason ? ` (last: ${s.lastRotationReason})` : ''}${s.build ? `, build ${s.build}` : ''}`,
    `connected since ${s.connectedSince ?? '-'}, session since ${s.sessionStartedAt ?? '-'}, buffer ${s.bufferDepth}, reconnects this run ${s.reconnects}`,
    overall,
    s.reported ? `the run's reports name a few symbols each (now: ${s.reported.join(' ')}); the others' figures of this run are as of the last report that named them` : '',
    ...rows,
    s.lastError ? `last error: ${s.lastError}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}
