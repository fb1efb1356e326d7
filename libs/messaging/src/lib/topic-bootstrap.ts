import type { Admin, Kafka } from 'kafkajs';
import { physicalTopics } from '@jpki/contracts';

/**
 * Creates every declared topic (with retry and dead-letter companions) that does not exist yet.
 * Idempotent; the broker's auto-create is off, so this is the only way topics come to be.
 */
export async function ensureTopics(kafka: Kafka, prefix: string, attempts = 10): Promise<{ created: string[]; existing: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createMissing(kafka, prefix);
    } catch (err) {
      // A broker busy deleting or electing leaders answers with retriable errors for a moment.
      if (attempt >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, 300 * attempt));
    }
  }
}

async function createMissing(kafka: Kafka, prefix: string): Promise<{ created: string[]; existing: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = physicalTopics(prefix).filter((t) => !existing.has(t.name));
    if (wanted.length > 0) {
      // kafkajs retries only LEADER_NOT_AVAILABLE while waiting for leaders; poll metadata instead.
      await admin.createTopics({
        waitForLeaders: false,
        topics: wanted.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: -1 })),
      });
      await waitForLeaders(admin, wanted.map((t) => t.name));
    }
    return { created: wanted.map((t) => t.name), existing: existing.size };
  } finally {
    await admin.disconnect();
  }
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics without leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes every topic with the prefix and waits until the broker no longer lists them. */
export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string, timeoutMs = 30_000): Promise<number> {
  if (!prefix) throw new Error('refusing to delete topics without a prefix');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const prefixed = async () => (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    const topics = await prefixed();
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    while ((await prefixed()).length > 0) {
      if (Date.now() > deadline) throw new Error(`topics with prefix ${prefix} still listed after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return topics.length;
  } finally {
    await admin.disconnect();
  }
}
