import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { localKafkaEnv } from '@jpki/messaging';
import { ServiceProcess } from '@jpki/testing';

export interface ConsoleSettings {
  operatorIdpKey: string;
  trustedProducerKeys: string;
  databaseUrl: string;
  kafkaBrokers: string;
  topicPrefix: string;
  logFile: string;
}

/** The operator console (apps/console): its app built, its server signing in users whose password is generated for this run. */
export async function startOperatorConsole(c: ConsoleSettings, log: (line: string) => void): Promise<ServiceProcess> {
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'apps/console/web/vite.config.mts', '--logLevel', 'warn'], { stdio: 'inherit' });
  const password = randomBytes(9).toString('base64url');
  const users = [
    { username: 'olivia', displayName: 'Olivia (operator)', roles: ['operator'] },
    { username: 'audrey', displayName: 'Audrey (auditor)', roles: ['auditor'] },
    { username: 'daichi', displayName: 'Daichi (docomo operator)', roles: ['operator'], carrier: 'docomo' },
    { username: 'kenta', displayName: 'Kenta (KDDI operator)', roles: ['operator'], carrier: 'kddi' },
  ].map((u) => ({ ...u, password }));
  const server = new ServiceProcess(
    { name: 'console', app: 'console', port: 7800, schema: '' },
    {
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '7800',
      OPERATOR_TOKEN_PRIVATE_KEY: c.operatorIdpKey,
      CONSOLE_USERS: JSON.stringify(users),
      // The live event feed and the dashboards read this environment's topics, checking the producers' signatures.
      KAFKA_BROKERS: c.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: c.topicPrefix,
      ...localKafkaEnv('console'),
      TRUSTED_PRODUCER_KEYS: c.trustedProducerKeys,
      DATABASE_URL: c.databaseUrl,
      LOG_LEVEL: 'info',
    },
    c.logFile,
  ).start();
  await server.waitReady();
  log(`operator console: ${server.url} — users ${users.map((u) => `${u.username} (${u.roles.join(',')}${u.carrier ? `, ${u.carrier}` : ''})`).join(', ')}; password for this run: ${password}`);
  return server;
}
