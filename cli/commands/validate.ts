import { Client, ScheduleAlreadyRunning, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { Config, loadConfig } from '../../lib/config';
import { formatDuration, parseDuration } from '../../lib/duration';
import type { ValidationReport } from '../../lib/validation/day-result';
import { reportDir, writeValidationReport } from '../../lib/validation/validation-report';
import { productionValidation } from '../../workflows';
import { abortSignal, checkNowSignal, DAY_MS, reportQuery, ValidationInput, validationWorkflowId } from '../../workflows/production-validation-api';
import { demoNames } from '../demo-names';
import { connectClient } from '../session';
import { webUiUrl } from './start';

const duration = (v: string) => {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return n;
};

/** The schedule `k2 validate schedule` creates unless told another id. */
export const DEFAULT_SCHEDULE_ID = 'validate-weekly';

interface RunFlags {
  demo?: boolean;
  days: number;
  interval: number;
  buildId?: string;
  stopOnFailure?: boolean;
}

const withRunFlags = (c: Command) =>
  c
    .option('--days <n>', 'number of daily checks', positiveInt, 7)
    .option('--interval <d>', 'time between checks (24h, 2m, …)', duration, DAY_MS)
    .option('--build-id <id>', 'the Worker Deployment build under validation (names the run validate-<build id>)')
    .option('--stop-on-failure', 'end at the first failed day')
    .option('--demo', "validate the demo's session (npm run demo): its task queue, so its worker checks its topic");

/** The settings, or the demo's names over them. */
const configFor = (f: { demo?: boolean }): Config => {
  const config = loadConfig();
  return f.demo ? { ...config, ...demoNames(config) } : config;
};

const inputOf = (f: RunFlags): ValidationInput => ({ days: f.days, intervalMs: f.interval, buildId: f.buildId, stopOnFailure: !!f.stopOnFailure });

async function withClient<T>(config: Config, body: (client: Client) => Promise<T>): Promise<T> {
  const { client, connection } = await connectClient(config);
  try {
    return await body(client);
  } finally {
    await connection.close();
  }
}

/** The given validation, or the one started last. */
async function validationId(client: Client, given?: string): Promise<string> {
  if (given) return given;
  for await (const w of client.workflow.list({ query: 'WorkflowType = "productionValidation"' })) return w.workflowId;
  throw new InvalidArgumentError('no productionValidation found: name one with --workflow-id');
}

export function formatReport(r: ValidationReport): string {
  const lines = [`${r.workflowId}: ${r.verdict.summary}`, `state ${r.state}${r.nextCheckAt ? `, next check ${r.nextCheckAt}` : ''}`];
  for (const d of r.days) {
    const failed = d.criteria.filter((c) => c.status === 'fail').map((c) => `${c.name} ${c.value} (bar ${c.bar})`);
    lines.push(`  day ${d.day} ${d.pass ? 'PASS' : 'FAIL'} ${d.from} → ${d.to}${d.error ? `: ${d.error}` : failed.length ? `: ${failed.join('; ')}` : ''}`);
  }
  return lines.join('\n');
}

/** Follows a run until it ends: a line per check, and a line every `everyMs` while waiting. */
async function follow(client: Client, workflowId: string, everyMs = 30_000): Promise<void> {
  const handle = client.workflow.getHandle<typeof productionValidation>(workflowId);
  let seen = 0;
  let done = false;
  let lastLine = 0;
  const result = handle.result().finally(() => void (done = true));
  while (!done) {
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
    if (done) break;
    const r = await handle.query(reportQuery).catch(() => undefined);
    if (!r) continue;
    for (const d of r.days.slice(seen)) console.log(`day ${d.day}/${r.plannedDays}: ${d.pass ? 'PASS' : 'FAIL'}${d.error ? ` (${d.error})` : ''}`);
    seen = r.days.length;
    if (r.nextCheckAt && Date.now() - lastLine >= everyMs) {
      lastLine = Date.now();
      process.stderr.write(`validate: ${r.verdict.summary}; next check in ${formatDuration(Date.parse(r.nextCheckAt) - Date.now())} (${r.nextCheckAt})\n`);
    }
  }
  const final = await result;
  const last = await handle.query(reportQuery).catch(() => undefined);
  for (const d of last?.days.slice(seen) ?? []) console.log(`day ${d.day}/${last!.plannedDays}: ${d.pass ? 'PASS' : 'FAIL'}${d.error ? ` (${d.error})` : ''}`);
  console.log(`${final.summary}\nreport: ${final.reportPath}\nchart: ${final.chartPath}`);
}

export function validateCommand(): Command {
  const validate = new Command('validate').description("the plan's 7-day production validation (a productionValidation workflow): daily checks as history, a report and a verdict");

  withRunFlags(validate.command('start'))
    .description('start a validation now (workflow id validate-<build id or date>)')
    .option('--workflow-id <id>', 'another workflow id')
    .option('--wait', 'follow it until the verdict')
    .action(async (f: RunFlags & { workflowId?: string; wait?: boolean }) => {
      const config = configFor(f);
      const workflowId = f.workflowId ?? `${validationWorkflowId(f.buildId, new Date())}${f.demo ? '-demo' : ''}`;
      await withClient(config, async (client) => {
        try {
          await client.workflow.start(productionValidation, { taskQueue: config.task_queue, workflowId, args: [inputOf(f)] });
          console.log(`started ${workflowId}: ${f.days} checks every ${formatDuration(f.interval)}, on task queue ${config.task_queue}`);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          console.log(`already running: ${workflowId}`);
        }
        const ui = webUiUrl({ ...config, workflow_id: workflowId });
        if (ui) console.log(`Temporal Web UI: ${ui}`);
        console.log(`report: ${reportDir(config, workflowId)}/ (after each check)`);
        if (f.wait) await follow(client, workflowId);
      });
    });

  withRunFlags(validate.command('schedule'))
    .description('create a Temporal Schedule that starts a validation every --every (overlap policy SKIP: never two at once)')
    .option('--every <d>', 'time between validations', duration, 7 * DAY_MS)
    .option('--schedule-id <id>', 'schedule id', DEFAULT_SCHEDULE_ID)
    .action(async (f: RunFlags & { every: number; scheduleId: string }) => {
      const config = configFor(f);
      await withClient(config, async (client) => {
        try {
          await client.schedule.create({
            scheduleId: f.scheduleId,
            spec: { intervals: [{ every: f.every }] },
            // Temporal appends the start time: validate-<date>.
            action: { type: 'startWorkflow', workflowType: productionValidation, taskQueue: config.task_queue, workflowId: 'validate', args: [inputOf(f)] },
            policies: { overlap: 'SKIP', catchupWindow: '1 day' },
          });
          console.log(`created schedule ${f.scheduleId}: a validation (${f.days} checks every ${formatDuration(f.interval)}) every ${formatDuration(f.every)}, overlap SKIP`);
        } catch (err) {
          if (!(err instanceof ScheduleAlreadyRunning)) throw err;
          console.log(`schedule ${f.scheduleId} exists already (temporal schedule describe --schedule-id ${f.scheduleId})`);
        }
        console.log('see it with `temporal schedule list` or on the Web UI\'s Schedules page');
      });
    });

  const withId = (c: Command) => c.option('--workflow-id <id>', 'the validation (default: the one started last)');

  withId(validate.command('status'))
    .description('days so far and the verdict so far (its report query)')
    .option('--json', 'print the report as JSON')
    .action(async (f: { workflowId?: string; json?: boolean }) => {
      const config = loadConfig();
      await withClient(config, async (client) => {
        const r = await client.workflow.getHandle(await validationId(client, f.workflowId)).query(reportQuery);
        console.log(f.json ? JSON.stringify(r, null, 2) : formatReport(r));
      });
    });

  withId(validate.command('report'))
    .description('write the report (JSON, Markdown, SVG chart) here, from the run itself')
    .option('--out <dir>', 'directory (default: <reports_dir>/<workflow id>)')
    .action(async (f: { workflowId?: string; out?: string }) => {
      const config = loadConfig();
      await withClient(config, async (client) => {
        const id = await validationId(client, f.workflowId);
        const r = await client.workflow.getHandle(id).query(reportQuery);
        const paths = writeValidationReport(f.out ?? reportDir(config, id), r);
        console.log(`${r.verdict.summary}\n${Object.values(paths).join('\n')}`);
      });
    });

  withId(validate.command('check-now')).description('run the next check now (signal checkNow)').action(async (f: { workflowId?: string }) => {
    const config = loadConfig();
    await withClient(config, async (client) => {
      const id = await validationId(client, f.workflowId);
      await client.workflow.getHandle(id).signal(checkNowSignal);
      console.log(`sent checkNow to ${id}`);
    });
  });

  withId(validate.command('abort'))
    .description('end the validation now with the days so far (signal abort)')
    .option('--reason <text>', 'recorded in the report')
    .action(async (f: { workflowId?: string; reason?: string }) => {
      const config = loadConfig();
      await withClient(config, async (client) => {
        const id = await validationId(client, f.workflowId);
        await client.workflow.getHandle(id).signal(abortSignal, f.reason ?? 'k2 validate abort');
        console.log(`sent abort to ${id}`);
      });
    });
  return validate;
}
