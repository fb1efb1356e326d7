// Creates every topic declared in libs/contracts (with retry and dead-letter companions) and grants the service
// principals their ACLs (kafkaGrants), as the local broker's admin unless KAFKA_SASL_USERNAME names another principal.
import { ensureTopics, kafkaClient, LOCAL_KAFKA, useLocalKafkaAdmin } from '@jpki/messaging';

async function main(): Promise<void> {
  useLocalKafkaAdmin();
  const brokers = (process.env['KAFKA_BROKERS'] ?? LOCAL_KAFKA).split(',');
  const prefix = process.env['KAFKA_TOPIC_PREFIX'] ?? '';
  const { created, existing, acls } = await ensureTopics(kafkaClient('topic-bootstrap', brokers), prefix);
  console.warn(`[kafka] topics: ${created.length} created, ${existing} already present; ACLs: ${acls} (prefix "${prefix}")`);
}

main().catch((err) => {
  console.error('[kafka] topic bootstrap failed:', err);
  process.exit(1);
});
