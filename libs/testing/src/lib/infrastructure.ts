import { Socket } from 'node:net';
import { Client } from 'pg';
import { KAFKA_ADMIN_PRINCIPAL } from '@jpki/contracts';
import { LOCAL_KAFKA, localKafkaEnv } from '@jpki/messaging';

export interface Infrastructure {
  kafkaBrokers: string;
  /** KAFKA_SASL_* of the admin principal for the local broker; none for an explicit KAFKA_BROKERS (its own KAFKA_SASL_* apply). */
  kafkaAdmin?: Record<string, string>;
  databaseUrl: string;
  /** Where each came from: explicit environment, the project's local services, or containers. */
  source: { kafka: 'env' | 'local' | 'testcontainers'; database: 'env' | 'local' | 'testcontainers' };
}

const LOCAL_DATABASE = 'postgres://postgres@127.0.0.1:5432/postgres';

function tcpAnswers(hostPort: string, timeoutMs = 1000): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(Number(port), host, () => done(true));
  });
}

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function containerRuntimeAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const handles: { stop(): Promise<unknown> }[] = [];

async function startKafkaContainer(): Promise<string> {
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const c = await new KafkaContainer('confluentinc/cp-kafka:7.9.2').withKraft().start();
  handles.push(c);
  return `${c.getHost()}:${c.getMappedPort(9093)}`;
}

async function startPostgresContainer(): Promise<string> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const c = await new PostgreSqlContainer('postgres:16-alpine').start();
  handles.push(c);
  return c.getConnectionUri();
}

function unavailable(what: string, tried: string): Error {
  return new Error(
    `${what} is not available for the tests (${tried}). Start the project's services with ` +
      `'npm run infra:up', or set ${what === 'Kafka' ? 'KAFKA_BROKERS' : 'DATABASE_URL'} to an existing one. ` +
      'Integration tests never skip silently.',
  );
}

/**
 * Resolution order: explicit environment, then the local development services (started by the
 * project's scripts), then testcontainers when a container runtime answers; otherwise a loud failure.
 */
export async function resolveInfrastructure(env: NodeJS.ProcessEnv = process.env): Promise<Infrastructure> {
  let kafka: Infrastructure['source']['kafka'];
  let kafkaBrokers = env['KAFKA_BROKERS'];
  if (kafkaBrokers) kafka = 'env';
  else if (await tcpAnswers(LOCAL_KAFKA)) [kafka, kafkaBrokers] = ['local', LOCAL_KAFKA];
  else if (await containerRuntimeAnswers()) [kafka, kafkaBrokers] = ['testcontainers', await startKafkaContainer()];
  else throw unavailable('Kafka', `no KAFKA_BROKERS, nothing on ${LOCAL_KAFKA}, no container runtime`);

  let database: Infrastructure['source']['database'];
  let databaseUrl = env['DATABASE_URL'];
  if (databaseUrl) database = 'env';
  else if (await postgresAnswers(LOCAL_DATABASE)) [database, databaseUrl] = ['local', LOCAL_DATABASE];
  else if (await containerRuntimeAnswers()) [database, databaseUrl] = ['testcontainers', await startPostgresContainer()];
  else throw unavailable('PostgreSQL', `no DATABASE_URL, nothing on 127.0.0.1:5432, no container runtime`);

  if (!(await postgresAnswers(databaseUrl))) throw unavailable('PostgreSQL', `${database} URL does not answer`);
  const kafkaAdmin = kafka === 'local' ? localKafkaEnv(KAFKA_ADMIN_PRINCIPAL) : undefined;
  return { kafkaBrokers, ...(kafkaAdmin ? { kafkaAdmin } : {}), databaseUrl, source: { kafka, database } };
}

export async function stopContainers(): Promise<void> {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
}
