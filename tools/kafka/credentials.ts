/**
 * The local broker's principals and their passwords, generated once per checkout into the git-ignored state
 * directory (never committed): the admin, one SCRAM user per service principal of libs/contracts (also offered
 * over PLAIN, for kcat), and the controller's own (PLAIN, on the controller listener). Missing ones are added, existing ones kept. Writes the
 * broker's secret properties and the admin's client properties next to them, and prints `user password` lines
 * for the SCRAM users (kafka.sh creates them on the broker).
 *
 *   node -r @swc-node/register tools/kafka/credentials.ts <state dir>
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_ADMIN_PRINCIPAL, KAFKA_SERVICE_PRINCIPALS } from '@jpki/contracts';
import { LOCAL_KAFKA_CONTROLLER, type LocalKafkaCredentials } from '@jpki/messaging';

const password = () => randomBytes(24).toString('hex');

function ensure(file: string): LocalKafkaCredentials {
  const known: Partial<LocalKafkaCredentials> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const scram = Object.fromEntries([KAFKA_ADMIN_PRINCIPAL, ...KAFKA_SERVICE_PRINCIPALS].map((p) => [p, known.scram?.[p] ?? password()]));
  const credentials = { scram, controller: known.controller ?? password() };
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

const jaas = (module: 'scram.ScramLoginModule' | 'plain.PlainLoginModule', user: string, secret: string, extra = '') =>
  `org.apache.kafka.common.security.${module} required username="${user}" password="${secret}"${extra};`;

function main(state: string): void {
  const c = ensure(join(state, 'credentials.json'));
  const admin = c.scram[KAFKA_ADMIN_PRINCIPAL];
  writeFileSync(
    join(state, 'server-secrets.properties'),
    [
      `listener.name.controller.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', LOCAL_KAFKA_CONTROLLER, c.controller, ` user_${LOCAL_KAFKA_CONTROLLER}="${c.controller}"`)}`,
      `listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule', KAFKA_ADMIN_PRINCIPAL, admin)}`,
      // kcat only: Debian's librdkafka (2.0) fails SCRAM against Kafka 4 (fixed in librdkafka 2.6.1), so the local
      // listener also takes the same users and passwords over PLAIN.
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required${Object.entries(c.scram)
        .map(([user, secret]) => ` user_${user}="${secret}"`)
        .join('')};`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  writeFileSync(
    join(state, 'admin-client.properties'),
    ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=SCRAM-SHA-512', `sasl.jaas.config=${jaas('scram.ScramLoginModule', KAFKA_ADMIN_PRINCIPAL, admin)}`, ''].join('\n'),
    { mode: 0o600 },
  );
  process.stdout.write(Object.entries(c.scram).map(([user, secret]) => `${user} ${secret}\n`).join(''));
}

main(process.argv[2] ?? '.kafka');
