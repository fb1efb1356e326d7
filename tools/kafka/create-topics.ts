// Creates every topic declared in libs/contracts (with retry and dead-letter companions).
import { ensureTopics, kafkaClient } from '@jpki/messaging';

async function main(): Promise<void> {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
  const prefix = process.env['KAFKA_TOPIC_PREFIX'] ?? '';
  const { created, existing } = await ensureTopics(kafkaClient('topic-bootstrap', brokers), prefix);
  console.warn(`[kafka] topics: ${created.length} created, ${existing} already present (prefix "${prefix}")`);
}

main().catch((err) => {
  console.error('[kafka] topic bootstrap failed:', err);
  process.exit(1);
});
