import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const SLOT_SIZE = 1000;
/** Service ports stay below the kernel's ephemeral range (32768+), where client sockets could take them. */
const SLOTS = 24;
const SLOT_LOCKS = join(tmpdir(), 'jpki-port-slots');

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Claims a slot's lock file for this process; a lock left by a dead process is taken over. */
function claimSlot(slot: number): boolean {
  const file = join(SLOT_LOCKS, String(slot));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    const owner = Number(readFileSync(file, 'utf8'));
    if (owner && pidAlive(owner)) return false;
    writeFileSync(file, String(process.pid));
    return true;
  }
}

export function releasePortOffset(offset: number): void {
  rmSync(join(SLOT_LOCKS, String(offset / SLOT_SIZE)), { force: true });
}

/**
 * A port offset (k × 1000, below the ephemeral range) reserved for this process: concurrent test
 * workers and benchmarks each get a slot of their own, and every service port in it is free.
 */
export async function freePortOffset(): Promise<number> {
  mkdirSync(SLOT_LOCKS, { recursive: true });
  const slots = Array.from({ length: SLOTS }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  for (const slot of slots) {
    if (!claimSlot(slot)) continue;
    const offset = slot * SLOT_SIZE;
    if ((await Promise.all(Object.values(DEFAULT_PORTS).map((p) => portFree(p + offset)))).every(Boolean)) return offset;
    releasePortOffset(offset);
  }
  throw new Error('no free port slot for the platform under test');
}

export interface PlatformUnderTest {
  stack: ServiceStack;
  keys: StackKeys;
  endpoints: PlatformEndpoints;
  /** Full topic prefix of this platform (the run's prefix plus a sub-prefix of its own). */
  topicPrefix: string;
  /** Valid on every service, for every carrier (no carrier scope), with every role: the simulation's integrator. */
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
    releasePortOffset(portOffset);
    throw err;
  }
  return {
    stack,
    keys,
    endpoints: localEndpoints(portOffset),
    topicPrefix,
    operatorToken: keys.operatorToken('e2e@integrator', ['integrator', 'operator', 'auditor']),
    stop: async () => {
      await stack.stopAll();
      releasePortOffset(portOffset);
    },
  };
}
