import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PORTS, localEndpoints, type PlatformEndpoints } from '@jpki/jpki-client';
import { ensureTopics, kafkaClient } from '@jpki/messaging';
import { platformStack, PLATFORM_SERVICES } from './platform';
import type { ServiceStack, StackKeys } from './service-stack';
import { testDatabaseUrl, testKafkaBrokers, testRunId, testTopicPrefix } from './test-run';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** An offset (multiple of 10, ≥ 10 000) at which every service port is free. */
export async function freePortOffset(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 10_000 + 10 * Math.floor(Math.random() * 4_000);
    const free = await Promise.all(Object.values(DEFAULT_PORTS).map((p) => portFree(p + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free port range for the platform under test');
}

export interface PlatformUnderTest {
  stack: ServiceStack;
  keys: StackKeys;
  endpoints: PlatformEndpoints;
  /** Full topic prefix of this platform (the run's prefix plus a sub-prefix of its own). */
  topicPrefix: string;
  operatorToken: string;
  stop(): Promise<void>;
}

/**
 * The platform as separate OS processes for an end-to-end test: its own topics (a sub-prefix of
 * the run's prefix, so no other test's consumer groups share them), its own schemas and ports.
 */
export async function startPlatformUnderTest(
  opts: { only?: readonly string[]; serviceEnv?: Record<string, Record<string, string>>; env?: Record<string, string> } = {},
): Promise<PlatformUnderTest> {
  const sub = `p${randomBytes(3).toString('hex')}`;
  const topicPrefix = `${testTopicPrefix()}${sub}.`;
  await ensureTopics(kafkaClient('e2e-setup', testKafkaBrokers()), topicPrefix);
  const portOffset = await freePortOffset();
  const only = opts.only ?? PLATFORM_SERVICES;
  const { stack, keys } = platformStack({
    databaseUrl: testDatabaseUrl(),
    kafkaBrokers: testKafkaBrokers().join(','),
    topicPrefix,
    schemaPrefix: `${testRunId()}_${sub}_`,
    portOffset,
    logDir: join(tmpdir(), 'jpki-e2e', testRunId(), sub),
    only,
    serviceEnv: opts.serviceEnv,
    env: { LOG_LEVEL: 'info', ...opts.env },
  });
  try {
    await stack.startAll();
  } catch (err) {
    await stack.stopAll('SIGKILL');
    throw err;
  }
  return {
    stack,
    keys,
    endpoints: localEndpoints(portOffset),
    topicPrefix,
    operatorToken: keys.operatorToken('e2e@integrator', ['integrator', 'operator', 'auditor']),
    stop: () => stack.stopAll(),
  };
}
