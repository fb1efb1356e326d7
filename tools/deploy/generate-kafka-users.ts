/**
 * Writes deploy/base/kafka/users.yaml (Strimzi KafkaUser CRs with their ACLs) from libs/contracts.
 *
 *   node -r @swc-node/register tools/deploy/generate-kafka-users.ts
 *
 * deploy/test/manifests.spec.ts fails while the committed file differs from a fresh render.
 */
import { writeFileSync } from 'node:fs';
import { KAFKA_USERS_FILE, kafkaUserObjects, renderKafkaUsers } from '../../deploy/src/kafka-users';

writeFileSync(KAFKA_USERS_FILE, renderKafkaUsers());
console.warn(`[deploy] wrote deploy/base/kafka/users.yaml (${kafkaUserObjects().length} KafkaUsers)`);
