import { Command } from 'commander';
import { tradeKeyDecoder } from '../../lib/avro/serializer';
import { auditTopic } from '../../lib/audit/topic-audit';
import { loadConfig } from '../../lib/config';
import { createKafka } from '../../lib/kafka/client';
import { positiveNumber } from '../options';

export function auditCommand(): Command {
  return new Command('audit')
    .description('read the trade topic and report, per symbol, the ids it holds, its holes and its duplicates')
    .option('--topic <name>', 'topic (default: kafka_topic)')
    .option('--since <minutes>', 'only records written in the last N minutes', positiveNumber)
    .option('--json', 'print the report as JSON')
    .action(async (f: { topic?: string; since?: number; json?: boolean }) => {
      const config = loadConfig();
      const topic = f.topic ?? config.kafka_topic;
      let lastPrint = 0;
      const report = await auditTopic(
        createKafka(config, { clientId: 'k2-audit', quiet: true }),
        topic,
        tradeKeyDecoder(),
        {
          sinceMs: f.since ? Date.now() - f.since * 60_000 : undefined,
          onProgress: (read, total) => {
            if (Date.now() - lastPrint < 2_000) return;
            lastPrint = Date.now();
            process.stderr.write(`audit: ${read.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} records (${((read / total) * 100).toFixed(0)}%)\n`);
          },
        },
      );
      if (f.json) {
        console.log(JSON.stringify(Object.fromEntries(report), null, 2));
        return;
      }
      console.log(`${topic}${f.since ? ` (last ${f.since} min)` : ''}`);
      console.log('symbol      records     first id      last id  missing  duplicates');
      for (const [symbol, a] of report) {
        console.log(
          `${symbol.padEnd(10)} ${String(a.count).padStart(8)} ${String(a.firstId).padStart(12)} ${String(a.lastId).padStart(12)} ${String(a.missingCount).padStart(8)} ${String(a.duplicates).padStart(11)}`,
        );
        for (const [from, to] of a.missing.slice(0, 10)) console.log(`  missing ${from}..${to} (${to - from + 1})`);
      }
    });
}
