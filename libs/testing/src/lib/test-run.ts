import { randomBytes } from 'node:crypto';

/**
 * Each Jest run gets an id; topics are prefixed and schemas named with it, so runs against a
 * long-lived broker and database never see each other's data.
 */
export function newTestRunId(): string {
  return `t${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

export function testRunId(): string {
  const id = process.env['TEST_RUN_ID'];
  if (!id) throw new Error('TEST_RUN_ID is not set: run the tests through the root jest config (npm test)');
  return id;
}

export function testTopicPrefix(): string {
  return `${testRunId()}.`;
}

let schemaCounter = 0;

/** A schema name unique to this run and test file, e.g. `t1ab2c_ca_3`. */
export function testSchema(service: string): string {
  const worker = process.env['JEST_WORKER_ID'] ?? '0';
  schemaCounter += 1;
  return `${testRunId()}_${service.replace(/[^a-z0-9]/g, '_')}_w${worker}_${schemaCounter}`.toLowerCase();
}

export function testKafkaBrokers(): string[] {
  return (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
}

export function testDatabaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url) throw new Error('DATABASE_URL is not set: run the tests through the root jest config (npm test)');
  return url;
}
