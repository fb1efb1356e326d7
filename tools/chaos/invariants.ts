/**
 * The platform's invariants, checked from the services' databases and dead-letter topics after a run (nothing lost,
 * nothing doubled, nothing stuck). Exits 1 on any violation.
 *
 *   npm run invariants [-- --schema-prefix demo_ --topic-prefix demo. --grace 30 --json]
 */
import { Command } from 'commander';
import { LOCAL_KAFKA, useLocalKafkaAdmin } from '@jpki/messaging';
import { checkPlatform, printResults } from '@jpki/operations';

interface Options {
  schemaPrefix: string;
  topicPrefix: string;
  deadLetters: boolean;
  grace: string;
  json?: boolean;
}

const program = new Command('invariants')
  .description('check the platform invariants from its databases and dead-letter topics')
  .option('--schema-prefix <prefix>', 'prefix of the service schemas', 'demo_')
  .option('--topic-prefix <prefix>', 'prefix of the topics', 'demo.')
  .option('--no-dead-letters', 'leave out the dead-letter checks (no broker)')
  .option('--grace <seconds>', 'work younger than this may still be in flight', '30')
  .option('--json', 'machine-readable output')
  .action(async (o: Options) => {
    useLocalKafkaAdmin();
    const results = await checkPlatform({
      databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      brokers: (process.env['KAFKA_BROKERS'] ?? LOCAL_KAFKA).split(','),
      schemaPrefix: o.schemaPrefix,
      topicPrefix: o.deadLetters ? o.topicPrefix : undefined,
      graceSeconds: Number(o.grace),
    });
    if (o.json) console.log(JSON.stringify(results, null, 2));
    else printResults(results, console.log);
    process.exitCode = results.every((r) => r.passed) ? 0 : 1;
  });

program.parseAsync().catch((err: Error) => {
  console.error(`invariants: ${err.message}`);
  process.exit(2);
});
