import { randomBytes } from 'node:crypto';

/**
 * Each Jest run gets an id; topics are prefixed and schemas named with it, so runs against a
 * long-lived broker and database never see each other's data.
 */
export function newTestRunId(): string {
  return `t${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

/** Runs older than this are abandoned (a killed Jest never ran its teardown): longer than any run, CI's included. */
export const ABANDONED_RUN_AGE_MS = 3 * 3600_000;

/** The run id a topic or schema name starts with, if it was made more than `maxAgeMs` before `now`. */
export function abandonedRunOf(name: string, now = Date.now(), maxAgeMs = ABANDONED_RUN_AGE_MS): string | undefined {
  const match = /^(t([0-9a-z]{8})[0-9a-f]{4})[._]/.exec(name);
  if (!match) return undefined;
  return now - parseInt(match[2], 36) > maxAgeMs ? match[1] : undefined;
}

export function testRunId(): string {
  const id = process.env['TEST_RUN_ID'];
  if (!id) throw new Error('TEST_RUN_ID is not set: run the tests through the root jest config (npm test)');
  return id;
}

export function testTopicPrefix(): string {
  return `${testRunId()}.`;
}

/** A schema name unique to this run and call, e.g. `t1ab2c_ca_3f9a1c`. */
export function testSchema(service: string): string {
  return `${testRunId()}_${service.replace(/[^a-z0-9]/g, '_')}_${randomBytes(3).toString('hex')}`.toLowerCase();
}

export function testKafkaBrokers(): string[] {
  return (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
}

export function testDatabaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (!url) throw new Error('DATABASE_URL is not set: run the tests through the root jest config (npm test)');
  return url;
}
