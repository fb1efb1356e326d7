/**
 * Benchmark (not a test): OCSP responses/s (live-signed with nonce, pre-signed without) and phone issuances/s
 * end to end over Kafka, printed as ratios of this machine's single-core RSA-2048 signature rate.
 *
 *   TEST_RUN_ID=bench$(date +%s) KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     node -r @swc-node/register apps/jpki-ca/src/test/bench.ts
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { Client } from 'pg';
import { CertificateIssuanceRequested, CertificateIssued, type PayloadOf } from '@jpki/contracts';
import { deleteTopicsWithPrefix, kafkaClient } from '@jpki/messaging';
import { buildCsr, buildOcspRequest, generateRsaKeyPair, SoftwareRsaSigner } from '@jpki/pki';
import { testTopicPrefix, waitUntil } from '@jpki/testing';
import { CaHarness, type TestCitizen } from './ca-harness';

function rsaSignaturesPerSecond(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(256);
  const until = Date.now() + 2000;
  let n = 0;
  while (Date.now() < until) {
    sign('sha256', data, privateKey);
    n++;
  }
  return n / 2;
}

async function hammer(label: string, seconds: number, concurrency: number, request: () => Promise<void>): Promise<number> {
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        await request();
        done++;
      }
    }),
  );
  const rate = done / seconds;
  console.log(`${label}: ${rate.toFixed(0)}/s`);
  return rate;
}

async function main(): Promise<void> {
  const signRate = rsaSignaturesPerSecond();
  console.log(`RSA-2048 sign (node:crypto, one core): ${signRate.toFixed(0)}/s`);
  const ca = await CaHarness.start({ tag: 'bench', env: { LOG_LEVEL: 'error', KEY_POOL_SIZE: '16' } });
  try {
    const citizens: TestCitizen[] = [];
    for (let i = 0; i < 6; i++) citizens.push(await ca.createCitizen());
    const issuer = Buffer.from(citizens[0].cardFile.caCertificates.userAuthentication, 'base64');
    const certificate = citizens[0].card.certificate('user-authentication');
    const live = buildOcspRequest({ certificate, issuerCertificate: issuer, hashAlgorithm: 'SHA-1' });
    const cached = buildOcspRequest({ certificate, issuerCertificate: issuer, hashAlgorithm: 'SHA-1', nonce: false });
    await waitUntil(async () => (await ca.count(`SELECT 1 FROM ocsp_response WHERE response IS NOT NULL`)) >= 12, 10_000, 'pre-signed responses');
    const post = (body: Buffer) => async () => {
      const res = await fetch(`${ca.baseUrl}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body });
      await res.arrayBuffer();
    };
    const liveRate = await hammer('OCSP live-signed (nonce), HTTP POST, 16 clients', 3, 16, async () => {
      const fresh = buildOcspRequest({ certificate, issuerCertificate: issuer, hashAlgorithm: 'SHA-1' });
      await post(fresh.der)();
    });
    void live;
    const preRate = await hammer('OCSP pre-signed (no nonce), HTTP POST, 16 clients', 3, 16, post(cached.der));

    const perPerson = 10;
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
    await waitUntil(() => ca.events(CertificateIssued.type).length >= requests.length, 120_000, 'all issued');
    const issuanceRate = requests.length / ((Date.now() - started) / 1000);
    console.log(`phone issuance end to end (Kafka in → signed, superseding, stored, event out): ${issuanceRate.toFixed(1)}/s over ${requests.length}`);
    console.log(
      `ratios to one core's RSA-2048 signatures/s: OCSP live ${(liveRate / signRate).toFixed(3)}, pre-signed ${(preRate / signRate).toFixed(3)}, issuance ${(issuanceRate / signRate).toFixed(4)}`,
    );
  } finally {
    await ca.stop();
    await deleteTopicsWithPrefix(kafkaClient('bench-teardown', [process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092']), testTopicPrefix()).catch(() => 0);
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
