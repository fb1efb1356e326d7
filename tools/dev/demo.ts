/**
 * The platform end to end on local defaults: starts every service as a separate process, seeds
 * subscribers on the three carriers and an MVNO, enrolls a phone on each (both key modes), sets
 * the phone PINs, authenticates each phone at a relying-party check (signature + chain + OCSP)
 * and prints a summary. Logs of every service go to .run/demo/logs.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { hostCarrierOf, type Carrier, type MvnoId } from '@jpki/contracts';
import { createSubscriber, createTestCitizen, enrollAndAuthenticate, HttpJson, localEndpoints } from '@jpki/jpki-client';
import { deleteTopicsWithPrefix, ensureTopics, kafkaClient } from '@jpki/messaging';
import { PLATFORM_SERVICES, platformStack, ServiceProcess } from '@jpki/testing';

const TOPIC_PREFIX = 'demo.';
const SCHEMA_PREFIX = 'demo_';
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const KAFKA = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';

interface Phone {
  operator: Carrier | MvnoId;
  keyMode: 'on-card' | 'delivered';
  name: string;
}

const PHONES: Phone[] = [
  { operator: 'docomo', keyMode: 'on-card', name: '佐藤 花子' },
  { operator: 'kddi', keyMode: 'delivered', name: '鈴木 一郎' },
  { operator: 'softbank', keyMode: 'on-card', name: '高橋 美咲' },
  { operator: 'mineo', keyMode: 'delivered', name: '田中 健太' },
];

const log = (msg: string) => console.log(`[demo] ${msg}`);

async function resetEnvironment(): Promise<void> {
  const kafka = kafkaClient('demo', [KAFKA]);
  await deleteTopicsWithPrefix(kafka, TOPIC_PREFIX);
  const db = new Client({ connectionString: DATABASE_URL });
  await db.connect();
  const { rows } = await db.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [SCHEMA_PREFIX]);
  for (const r of rows) await db.query(`DROP SCHEMA "${r.nspname}" CASCADE`);
  await db.end();
  const { created } = await ensureTopics(kafka, TOPIC_PREFIX);
  log(`fresh environment: ${created.length} topics, schemas ${SCHEMA_PREFIX}*`);
}

async function runPhone(p: Phone, token: string, e: ReturnType<typeof localEndpoints>) {
  const started = Date.now();
  const citizen = await createTestCitizen(e, token, { name: p.name, gender: 'female', dateOfBirth: '1985-06-15' });
  const sub = await createSubscriber(e, token, p.operator);
  const outcome = await enrollAndAuthenticate(e, citizen, sub, p.operator, p.keyMode, (v) =>
    log(`${p.operator.padEnd(8)} ${v.enrollmentId.slice(0, 12)} ${String(v.stepIndex).padStart(2)}/${v.stepCount} ${v.step ?? v.status} (${v.state})`),
  );
  const auth = !outcome.login
    ? `not enrolled: ${outcome.enrollment.failure?.reason}`
    : outcome.login.ok
      ? 'OK (signature, chain, OCSP good)'
      : `REFUSED ${outcome.login.reason}`;
  return { p, sub, done: outcome.enrollment, auth, scp03: await ssdSecureChannel(e, token, sub.iccid), ms: Date.now() - started };
}

interface SimView {
  card: { registry: { kind: string; scp03?: { mode: string }; keysets?: { keyBits: number }[] }[] };
}

/** The SP's security domain as the card reports it: AES key length and SCP03 S8/S16 mode. */
async function ssdSecureChannel(e: ReturnType<typeof localEndpoints>, token: string, iccid: string): Promise<string> {
  const sim = await new HttpJson(e.vsim, token).get<SimView>(`/sims/${iccid}`);
  const ssd = sim.card.registry.find((r) => r.kind === 'SSD');
  return ssd?.scp03 ? `AES-${ssd.keysets?.[0]?.keyBits ?? '?'} ${ssd.scp03.mode}` : '-';
}

async function main(): Promise<void> {
  await resetEnvironment();
  const only = PLATFORM_SERVICES.filter((n) => existsSync(`apps/${n.startsWith('mno-tsm') ? 'mno-tsm' : n}/src/main.ts`));
  const { stack, keys } = platformStack({
    databaseUrl: DATABASE_URL,
    kafkaBrokers: KAFKA,
    topicPrefix: TOPIC_PREFIX,
    schemaPrefix: SCHEMA_PREFIX,
    logDir: '.run/demo/logs',
    only,
    env: { LOG_LEVEL: 'info' },
  });
  let stopping = false;
  let consoleServer: ServiceProcess | undefined;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping services (SIGTERM)…');
    await Promise.all([stack.stopAll(), consoleServer?.stop()]);
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));

  log(`starting ${only.length} services as separate processes: ${only.join(', ')}`);
  const t0 = Date.now();
  let results: Awaited<ReturnType<typeof runPhone>>[];
  try {
    await stack.startAll((s) => log(`ready: ${s.spec.name} on ${s.url} (pid ${s.pid})`));
    log(`all services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; OpenAPI at <service>/docs`);
    consoleServer = await startConsole(keys.operatorIdp.signingPkcs8, keys.envFor('lifecycle')['TRUSTED_PRODUCER_KEYS']).catch((err: Error) => {
      console.error(`[demo] the operator console did not start (the scenario goes on): ${err.message}`);
      return undefined;
    });
    const token = keys.operatorToken('demo-integrator', ['integrator', 'operator']);
    results = await Promise.all(PHONES.map((p) => runPhone(p, token, localEndpoints())));
  } catch (err) {
    console.error('[demo] failed:', err);
    return stop(1);
  }
  console.log('\n operator  host      MSISDN          ICCID                 SSD SCP03    key mode   state        certificate   authentication                     time');
  for (const r of results) {
    console.log(
      ` ${r.p.operator.padEnd(9)} ${hostCarrierOf(r.p.operator).padEnd(9)} ${r.sub.msisdn.padEnd(15)} ${r.sub.iccid.padEnd(21)} ${r.scp03.padEnd(12)} ${r.p.keyMode.padEnd(10)} ` +
        `${r.done.state.padEnd(12)} ${(r.done.serial ?? '-').slice(0, 12).padEnd(13)} ${r.auth.padEnd(34)} ${(r.ms / 1000).toFixed(1)} s`,
    );
  }
  const failed = results.filter((r) => !r.auth.startsWith('OK')).length;
  console.log(`\n${results.length - failed}/${results.length} phones enrolled and authenticated. Logs: .run/demo/logs`);
  if (consoleServer && process.argv.includes('--keep')) {
    log(`operator console: ${consoleServer.url} — the platform keeps running; Ctrl-C stops it`);
    return;
  }
  if (consoleServer) log(`operator console was at ${consoleServer.url}; \`npm start -- --keep\` keeps the platform and the console running`);
  await stop(failed === 0 ? 0 : 1);
}

/** The operator console (apps/console): its app built, its server signing in users whose password is generated for this run. */
async function startConsole(operatorIdpKey: string, trustedProducerKeys: string): Promise<ServiceProcess> {
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
      OPERATOR_TOKEN_PRIVATE_KEY: operatorIdpKey,
      CONSOLE_USERS: JSON.stringify(users),
      // The live event feed and the dashboards read this environment's topics, checking the producers' signatures.
      KAFKA_BROKERS: KAFKA,
      KAFKA_TOPIC_PREFIX: TOPIC_PREFIX,
      TRUSTED_PRODUCER_KEYS: trustedProducerKeys,
      DATABASE_URL,
      LOG_LEVEL: 'info',
    },
    '.run/demo/logs/console.log',
  ).start();
  await server.waitReady();
  log(`operator console: ${server.url} — users ${users.map((u) => `${u.username} (${u.roles.join(',')}${u.carrier ? `, ${u.carrier}` : ''})`).join(', ')}; password for this run: ${password}`);
  return server;
}

main().catch(async (err) => {
  console.error('[demo] failed:', err);
  process.exit(1);
});
