import { Command } from 'commander';
import { loadConfig } from '../../lib/config';
import { pauseSignal, resetCursorSignal, resumeSignal, rotateSignal, stopSignal } from '../../workflows/stream-session-api';
import { nonNegativeInt, symbolList } from '../options';
import { failingAttempt, formatStatus, queryStatus, sessionHandle, startSession } from '../session';

interface IdFlag {
  workflowId?: string;
}

export function streamCommand(): Command {
  const stream = new Command('stream').description('operate a stream session (a streamSession workflow)');
  const withId = (c: Command) => c.option('--workflow-id <id>', 'session workflow id (default: workflow_id, binance-stream)');

  withId(stream.command('start'))
    .description('start a session (or say it already runs)')
    .option('--symbols <list>', 'symbols (default: the symbols setting)', symbolList)
    .action(async (f: IdFlag & { symbols?: string[] }) => {
      const config = loadConfig();
      const workflowId = f.workflowId ?? config.workflow_id;
      const { session, started } = await startSession(config, { symbols: f.symbols ?? config.symbols, workflowId });
      console.log(`${started ? 'started' : 'already running:'} ${workflowId} on task queue ${config.task_queue}`);
      await session.close();
    });

  withId(stream.command('status'))
    .description("the session's live status (its status query)")
    .option('--json', 'print the raw status')
    .action(async (f: IdFlag & { json?: boolean }) => {
      const config = loadConfig();
      const s = await sessionHandle(config, f.workflowId);
      try {
        const status = await queryStatus(s.handle);
        console.log(f.json ? JSON.stringify(status, null, 2) : formatStatus(status));
        const failing = f.json ? undefined : await failingAttempt(s.handle);
        if (failing) console.log(failing);
      } finally {
        await s.close();
      }
    });

  const signals: [string, string, (h: Awaited<ReturnType<typeof sessionHandle>>['handle'], reason?: string) => Promise<void>][] = [
    ['rotate', 'close the connection and continue on a new one now (continue-as-new with the cursor)', (h, reason) => h.signal(rotateSignal, reason ?? 'cli')],
    ['pause', 'flush, hand back the cursor and stop streaming until resume', (h) => h.signal(pauseSignal)],
    ['resume', 'stream again from the cursor (the gap is backfilled)', (h) => h.signal(resumeSignal)],
    ['stop', 'drain and complete the session', (h) => h.signal(stopSignal)],
  ];
  for (const [name, description, send] of signals) {
    const cmd = withId(stream.command(name)).description(description);
    if (name === 'rotate') cmd.option('--reason <text>', 'recorded in the next run');
    cmd.action(async (f: IdFlag & { reason?: string }) => {
      const config = loadConfig();
      const s = await sessionHandle(config, f.workflowId);
      try {
        await send(s.handle, f.reason);
        console.log(`sent ${name} to ${s.handle.workflowId}`);
      } finally {
        await s.close();
      }
    });
  }
  withId(stream.command('reset-cursor'))
    .description("resolve an id regression: the symbol's cursor restarts at --to (or the next live trade); takes effect with a rotation")
    .requiredOption('--symbol <symbol>', 'the symbol to reset', (v: string) => symbolList(v)[0])
    .option('--to <id>', 'last trade id to count as written (streaming resumes after it, backfilling from REST)', nonNegativeInt)
    .action(async (f: IdFlag & { symbol: string; to?: number }) => {
      const config = loadConfig();
      const s = await sessionHandle(config, f.workflowId);
      try {
        await s.handle.signal(resetCursorSignal, { symbol: f.symbol, to: f.to ?? null });
        console.log(`sent resetCursor ${f.symbol} ${f.to === undefined ? '(next live trade)' : `(after ${f.to})`} to ${s.handle.workflowId}`);
      } finally {
        await s.close();
      }
    });
  return stream;
}
