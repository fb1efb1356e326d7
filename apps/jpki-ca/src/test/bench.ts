/**
 * Benchmark (not a test): phone issuances/s end to end over Kafka (request in → proofed, signed, superseding, stored,
 * event out) as a ratio of this machine's single-core RSA-2048 signature rate. Figures also in `reports/bench/ca.json`.
 * The OCSP responder is measured as the platform runs it, in its own process: tools/bench/ocsp.ts.
 *
 *   node -r @swc-node/register apps/jpki-ca/src/test/bench.ts     (needs PostgreSQL and Kafka: npm run infra:up; npm run bench runs it too)
 *   BENCH_SMOKE=1 …   (CI: seconds-long, figures meaningless)
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { CertificateIssuanceRequested, CertificateIssued, type PayloadOf } from '@jpki/contracts';
import { deleteTopicsWithPrefix, kafkaClient } from '@jpki/messaging';
import { buildCsr, generateRsaKeyPair, SoftwareRsaSigner } from '@jpki/pki';
import { newTestRunId, resolveInfrastructure, testKafkaBrokers, testTopicPrefix, waitUntil } from '@jpki/testing';
import { DEPLOYED_CRL_DEBOUNCE_MS } from '../config';
import { CaHarness, type TestCitizen } from './ca-harness';

const SMOKE = process.env['BENCH_SMOKE'] === '1';

function rsaSignaturesPerSecond(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(256);
  const ms = SMOKE ? 200 : 2000;
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) {
    sign('sha256', data, privateKey);
    n++;
  }
  return n / (ms / 1000);
}

/** Run alone: a run id, the database and the broker (as its admin) the tests would use; npm run bench sets them. */
async function standaloneEnvironment(): Promise<void> {
  if (process.env['TEST_RUN_ID']) return;
  const infra = await resolveInfrastructure();
  Object.assign(process.env, { TEST_RUN_ID: newTestRunId(), DATABASE_URL: infra.databaseUrl, KAFKA_BROKERS: infra.kafkaBrokers, ...infra.kafkaAdmin });
}

async function main(): Promise<void> {
  await standaloneEnvironment();
  const signRate = rsaSignaturesPerSecond();
  console.log(`RSA-2048 sign (node:crypto, one core): ${signRate.toFixed(0)}/s`);
  const ca = await CaHarness.start({ tag: 'bench', env: { LOG_LEVEL: 'error', KEY_POOL_SIZE: '16', CRL_DEBOUNCE_MS: String(DEPLOYED_CRL_DEBOUNCE_MS) } });
  try {
    const citizens: TestCitizen[] = [];
    for (let i = 0; i < (SMOKE ? 2 : 24); i++) citizens.push(await ca.createCitizen());

    const perPerson = SMOKE ? 1 : 10;
    const keys = await Promise.all(Array.from({ length: citizens.length * perPerson }, async () => (await generateRsaKeyPair()).privateKey));
    // Each issuance consumes an identity proofing of its own, made before the clock starts.
    const requests: PayloadOf<typeof CertificateIssuanceRequested>[] = await Promise.all(
      keys.map(async (key, i) => {
        const csr = await buildCsr({ subject: [{ type: 'CN', value: 'bench' }], signer: new SoftwareRsaSigner(key) });
        const personId = citizens[i % citizens.length].personId;
        const device = { kind: 'sim' as const, iccid: `8981${Array.from(randomBytes(15), (b) => b % 10).join('')}`, msisdn: '+819012345678', carrier: 'docomo' as const };
        return {
          requestId: `bench-${randomUUID()}`,
          personId,
          enrollmentId: `bench-${i}`,
          device,
          proofingRequestId: await ca.proofingFor(personId, device, 'csr'),
          keySource: { mode: 'csr' as const, csr: csr.toString('base64') },
        };
      }),
    );
    const started = Date.now();
    await ca.sendEnvelopes(
      CertificateIssuanceRequested,
      requests.map((r) => ca.envelope(CertificateIssuanceRequested, r)),
    );
    await waitUntil(() => ca.eventCount(CertificateIssued.type) >= requests.length, 120_000, 'all issued');
    const issuanceRate = requests.length / ((Date.now() - started) / 1000);
    console.log(`phone issuance end to end (Kafka in → signed, superseding, stored, event out): ${issuanceRate.toFixed(1)}/s over ${requests.length}`);
    console.log(`ratio to one core's RSA-2048 signatures/s: issuance ${(issuanceRate / signRate).toFixed(4)}`);
    const figures = { rsa2048SignPerSecond: signRate, issuancePerSecond: issuanceRate, issued: requests.length };
    mkdirSync('reports/bench', { recursive: true });
    writeFileSync('reports/bench/ca.json', `${JSON.stringify({ name: 'ca', smoke: SMOKE, measuredAt: new Date().toISOString(), result: figures }, null, 2)}\n`);
  } finally {
    await ca.stop();
    await deleteTopicsWithPrefix(kafkaClient('bench-teardown', testKafkaBrokers()), testTopicPrefix()).catch(() => 0);
    const db = new Client({ connectionString: process.env['DATABASE_URL'] });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${ca.config.DB_SCHEMA}" CASCADE`);
    await db.end();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
