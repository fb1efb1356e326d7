/**
 * Sets the topic-level configuration of deploy/src/topics.ts (retention per role; platform.clock kept forever)
 * on the topics of a plain Kafka cluster, e.g. the docker-compose broker after tools/kafka/create-topics.ts has
 * created them. On Kubernetes the KafkaTopic CRs carry the same configuration (Strimzi applies it).
 *
 *   KAFKA_BROKERS=kafka:19092 KAFKA_TOPIC_PREFIX= node -r @swc-node/register tools/deploy/configure-topics.ts
 *
 * Idempotent. Only the keys listed in topicConfig are managed (AlterConfigs replaces a topic's dynamic config).
 */
import { ConfigResourceTypes } from 'kafkajs';
import { physicalTopics } from '@jpki/contracts';
import { kafkaClient, LOCAL_KAFKA, useLocalKafkaAdmin } from '@jpki/messaging';
import { topicConfig } from '../../deploy/src/topics';

async function main(): Promise<void> {
  useLocalKafkaAdmin();
  const brokers = (process.env['KAFKA_BROKERS'] ?? LOCAL_KAFKA).split(',');
  const prefix = process.env['KAFKA_TOPIC_PREFIX'] ?? '';
  const admin = kafkaClient('topic-config', brokers).admin();
  await admin.connect();
  try {
    const topics = physicalTopics(prefix);
    await admin.alterConfigs({
      validateOnly: false,
      resources: topics.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: t.name,
        configEntries: Object.entries(topicConfig(t.name, prefix)).map(([name, value]) => ({ name, value: String(value) })),
      })),
    });
    console.warn(`[deploy] topic configuration applied to ${topics.length} topics (prefix "${prefix}")`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((err) => {
  console.error('[deploy] topic configuration failed:', err);
  process.exit(1);
});
