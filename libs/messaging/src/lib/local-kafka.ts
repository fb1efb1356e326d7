import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_ADMIN_PRINCIPAL } from '@jpki/contracts';

/** The local broker's authenticated listener (tools/kafka/kafka.sh): SASL_PLAINTEXT with SCRAM-SHA-512. */
export const LOCAL_KAFKA = '127.0.0.1:9094';
/** The local controller's own principal (PLAIN, on the controller listener). */
export const LOCAL_KAFKA_CONTROLLER = 'controller';

/** `.kafka/credentials.json`, written by tools/kafka/credentials.ts at broker start: passwords per principal. */
export interface LocalKafkaCredentials {
  scram: Record<string, string>;
  controller: string;
}

function localKafkaCredentials(): LocalKafkaCredentials | undefined {
  const file = join(process.env['KAFKA_STATE_DIR'] ?? join(process.cwd(), '.kafka'), 'credentials.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalKafkaCredentials) : undefined;
}

/**
 * KAFKA_SASL_* for a principal of this checkout's local broker (a service identity, or the admin principal for tools
 * and test harnesses); empty without local broker credentials (an external KAFKA_BROKERS brings its own).
 */
export function localKafkaEnv(principal: string): Record<string, string> {
  const password = localKafkaCredentials()?.scram[principal];
  return password ? { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: principal, KAFKA_SASL_PASSWORD: password } : {};
}

/** Tools run as the local broker's admin unless KAFKA_SASL_USERNAME names a principal. */
export function useLocalKafkaAdmin(env: NodeJS.ProcessEnv = process.env): void {
  if (!env['KAFKA_SASL_USERNAME']) Object.assign(env, localKafkaEnv(KAFKA_ADMIN_PRINCIPAL));
}
