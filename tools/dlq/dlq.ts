/**
 * Operators' dead-letter tool: list the dead letters of every declared `.dlq` topic, inspect one (decoded, with its
 * cause), redrive one or all to their original topics after the cause is fixed. Redrives are recorded in PostgreSQL
 * (schema DLQ_LEDGER_SCHEMA, default `ops`), so a dead letter is redriven at most once.
 *
 *   npm run dlq -- list [--topic ca.events] [--json]
 *   npm run dlq -- inspect ca.events.dlq:0:12 [--json]
 *   npm run dlq -- redrive ca.events.dlq:0:12 [more ids] | --all [--topic ca.events] [--json]
 *
 * The platform context (`--context` / JPKI_CONTEXT) names the brokers, topic prefix and database URL (its `operations`);
 * without one, the local platform, where KAFKA_BROKERS, KAFKA_TOPIC_PREFIX and DATABASE_URL still apply and the tool
 * authenticates as the local broker's admin. Elsewhere Kafka credentials come from KAFKA_SASL_USERNAME/PASSWORD.
 * `--prefix` (e.g. `demo.`) overrides the topic prefix. `--json`: machine-readable output, failures as { error, reason }.
 */
import { userInfo } from 'node:os';
import { Command } from 'commander';
import { CONTEXT_OPTION, loadPlatformContext, reportFailure, wantsJson, type PlatformOperations } from '@jpki/jpki-client';
import { kafkaClient, useLocalKafkaAdmin } from '@jpki/messaging';
import { DeadLetterArchive, RedriveLedger, type DeadLetter, type RedriveOutcome } from '@jpki/operations';

interface Common {
  prefix?: string;
  context?: string;
  json?: boolean;
}

function operations(o: Common): PlatformOperations {
  const context = loadPlatformContext({ file: o.context });
  if (context.local) useLocalKafkaAdmin();
  return context.operations();
}

async function withArchive<T>(o: Common, use: (archive: DeadLetterArchive) => Promise<T>): Promise<T> {
  const platform = operations(o);
  const ledger = new RedriveLedger(platform.databaseUrl, process.env['DLQ_LEDGER_SCHEMA'] ?? 'ops');
  try {
    await ledger.ensure();
    return await use(new DeadLetterArchive(kafkaClient('dlq-tool', platform.kafkaBrokers), o.prefix ?? platform.topicPrefix, ledger));
  } finally {
    await ledger.close();
  }
}

function printList(letters: DeadLetter[]): void {
  if (letters.length === 0) return console.log('no dead letters');
  console.log(`${'id'.padEnd(34)} ${'reason'.padEnd(28)} ${'type'.padEnd(36)} ${'failed by'.padEnd(18)} failed at`);
  for (const d of letters) {
    console.log(`${d.id.padEnd(34)} ${d.reason.padEnd(28)} ${(d.messageType ?? '-').padEnd(36)} ${(d.failedBy ?? '-').padEnd(18)} ${d.failedAt ?? '-'}`);
    console.log(`  ${d.infrastructureFailure ? '[infrastructure] ' : ''}${d.detail.split('\n')[0].slice(0, 160)}`);
  }
  console.log(`${letters.length} dead letter(s)`);
}

function printLetter(d: DeadLetter & { redriven: unknown }): void {
  const { value, headers, ...rest } = d;
  for (const [k, v] of Object.entries(rest)) console.log(`${k.padEnd(22)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  console.log('headers:');
  for (const [k, v] of Object.entries(headers)) console.log(`  ${k}: ${v}`);
  console.log('value:');
  try {
    console.log(JSON.stringify(JSON.parse(value ?? 'null'), null, 2));
  } catch {
    console.log(value);
  }
}

function printOutcomes(outcomes: RedriveOutcome[]): void {
  for (const o of outcomes) console.log(`${o.id.padEnd(34)} ${o.outcome}${o.to ? ` → ${o.to}` : ''}${o.why ? `: ${o.why}` : ''}${o.previously ? ` (by ${o.previously.operator} at ${o.previously.redrivenAt})` : ''}`);
  const redriven = outcomes.filter((o) => o.outcome === 'redriven').length;
  console.log(`${redriven} redriven, ${outcomes.length - redriven} refused`);
}

const output = (json: boolean | undefined, value: unknown, human: () => void) => (json ? console.log(JSON.stringify(value, null, 2)) : human());

const program = new Command('dlq').description('List, inspect and redrive dead letters');
const common = (c: Command) =>
  c
    .option(CONTEXT_OPTION.flags, CONTEXT_OPTION.description)
    .option('--prefix <prefix>', 'topic prefix of the environment (default: the context’s)')
    .option('--json', 'machine-readable output');

common(program.command('list').description('every dead letter with its cause').option('--topic <topic>', 'one topic (logical name)')).action(async (o: Common & { topic?: string }) => {
  const letters = await withArchive(o, (a) => a.list(o.topic));
  output(o.json, letters.map(({ value: _v, headers: _h, ...rest }) => rest), () => printList(letters));
});

common(program.command('inspect <id>').description('one dead letter, decoded')).action(async (id: string, o: Common) => {
  const letter = await withArchive(o, (a) => a.inspect(id));
  output(o.json, letter, () => printLetter(letter));
});

common(
  program
    .command('redrive [ids...]')
    .description('re-publish dead letters to their original topics (each at most once)')
    .option('--all', 'every dead letter not redriven yet')
    .option('--topic <topic>', 'with --all: only this topic')
    .option('--operator <name>', 'who redrives (recorded)', userInfo().username),
).action(async (ids: string[], o: Common & { all?: boolean; topic?: string; operator: string }) => {
  if (!o.all && ids.length === 0) throw new Error('name the dead letters to redrive, or --all');
  if (o.all && ids.length > 0) throw new Error('--all redrives every dead letter: name no ids with it');
  const outcomes = await withArchive(o, (a) => (o.all ? a.redriveAll(o.operator, o.topic) : a.redrive(ids, o.operator)));
  output(o.json, outcomes, () => printOutcomes(outcomes));
  if (!o.all && outcomes.some((x) => x.outcome === 'refused')) process.exitCode = 1;
});

program.parseAsync().catch((err: Error) => {
  reportFailure(err, wantsJson(process.argv), { out: console.log, err: console.error }, 'dlq: ');
  process.exit(2);
});
