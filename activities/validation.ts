import { Context } from '@temporalio/activity';
import { Kafka } from 'kafkajs';
import { Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { checkDay, validationBaseline } from '../lib/validation/day-check';
import type { DayCheck, DayCheckInput, ValidationReport } from '../lib/validation/day-result';
import { reportDir, writeValidationReport } from '../lib/validation/validation-report';

const log = createLogger('validation');

/** The productionValidation activities: thin adapters over lib/validation. */
export function createValidationActivities(deps: { config: Config; kafka: Kafka }) {
  return {
    async validationBaseline() {
      return validationBaseline(deps.config);
    },

    async checkValidationDay(input: DayCheckInput): Promise<DayCheck> {
      const ctx = Context.current();
      ctx.heartbeat('evidence');
      const check = await checkDay({ config: deps.config, kafka: deps.kafka, onProgress: (what) => ctx.heartbeat(what) }, input);
      log.info({
        event: 'validation.day-checked',
        workflowId: ctx.info.workflowExecution?.workflowId,
        day: check.day,
        pass: check.pass,
        failed: check.criteria.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.value} (bar ${c.bar})`),
      });
      return check;
    },

    async writeValidationReport(report: ValidationReport) {
      const paths = writeValidationReport(reportDir(deps.config, report.workflowId), report);
      log.info({ event: 'validation.report-written', workflowId: report.workflowId, state: report.state, verdict: report.verdict.summary, ...paths });
      return paths;
    },
  };
}
