/**
 * Benchmark (not a test): OCSP responses/s (live-signed with nonce, pre-signed without) beside OpenSSL's own responder
 * (`openssl ocsp -port`, RSA-2048, same clients, same run), and phone issuances/s end to end over Kafka, each also as a
 * ratio of this machine's single-core RSA-2048 signature rate. Figures also in `reports/bench/ca.json`.
 *
 *   TEST_RUN_ID=bench$(date +%s) KAFKA_BROKERS=127.0.0.1:9094 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     node -r @swc-node/register apps/jpki-ca/src/test/bench.ts
 *   BENCH_SMOKE=1 …   (CI: seconds-long, figures meaningless)
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { CertificateIssuanceRequested, CertificateIssued, type PayloadOf } from '@jpki/contracts';
import { deleteTopicsWithPrefix, kafkaClient } from '@jpki/messaging';
import { buildCsr, buildOcspRequest, generateRsaKeyPair, SoftwareRsaSigner } from '@jpki/pki';
import { testKafkaBrokers, testTopicPrefix, waitUntil } from '@jpki/testing';
import { CaHarness, type TestCitizen } from './ca-harness';
import { OpenSslWorkspace } from '@jpki/openssl-judge';

const SMOKE = process.env['BENCH_SMOKE'] === '1';
const SECONDS = SMOKE ? 0.5 : 3;
const CLIENTS = 16;

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

/** `YYMMDDHHMMSSZ` for an OpenSSL CA index line. */
function indexTime(date: Date): string {
  return `${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`;
}

/**
 * OpenSSL's own OCSP responder on a throwaway RSA-2048 CA with one issued certificate: the baseline the CA's responder
 * is measured against. It signs every response live, one process, like `openssl ocsp -port` is run in practice.
 */
async function opensslResponder(port: number): Promise<{ request: Buffer; url: string; stop(): void }> {
  const o = await OpenSslWorkspace.create();
  const run = async (args: string[]) => {
    const r = await o.run(args);
    if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${r.output}`);
  };
  await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=bench responder CA', '-days', '2']);
  await run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ee.key', '-out', 'ee.csr', '-subj', '/CN=bench holder']);
  await run(['x509', '-req', '-in', 'ee.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x1001', '-days', '1', '-out', 'ee.pem']);
  await o.write('index.txt', `V\t${indexTime(new Date(Date.now() + 86_400_000))}\t\t1001\tunknown\t/CN=bench holder\n`);
  const der = (file: string) => Buffer.from(readFileSync(join(o.directory, file), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const request = buildOcspRequest({ certificate: der('ee.pem'), issuerCertificate: der('ca.pem'), hashAlgorithm: 'SHA-1', nonce: false }).der;
  const child = spawn('openssl', ['ocsp', '-index', 'index.txt', '-port', String(port), '-rsigner', 'ca.pem', '-rkey', 'ca.key', '-CA', 'ca.pem', '-ignore_err'], {
    cwd: o.directory,
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}/`;
  await waitUntil(async () => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request }).catch(() => undefined))?.ok, 10_000, 'openssl ocsp responder');
  return { request, url, stop: () => child.kill() };
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
    for (let i = 0; i < (SMOKE ? 2 : 6); i++) citizens.push(await ca.createCitizen());
    const issuer = Buffer.from(citizens[0].cardFile.caCertificates.userAuthentication, 'base64');
    const certificate = citizens[0].card.certificate('user-authentication');
    const cached = buildOcspRequest({ certificate, issuerCertificate: issuer, hashAlgorithm: 'SHA-1', nonce: false });
    await waitUntil(async () => (await ca.count(`SELECT 1 FROM ocsp_response WHERE response IS NOT NULL`)) >= citizens.length * 2, 10_000, 'pre-signed responses');
    const post = (body: Buffer) => async () => {
      const res = await fetch(`${ca.baseUrl}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body });
      await res.arrayBuffer();
    };
    const liveRate = await hammer(`OCSP live-signed (nonce), HTTP POST, ${CLIENTS} clients`, SECONDS, CLIENTS, async () => {
      const fresh = buildOcspRequest({ certificate, issuerCertificate: issuer, hashAlgorithm: 'SHA-1' });
      await post(fresh.der)();
    });
    const preRate = await hammer(`OCSP pre-signed (no nonce), HTTP POST, ${CLIENTS} clients`, SECONDS, CLIENTS, post(cached.der));
    const openssl = await opensslResponder(20_000 + Math.floor(Math.random() * 10_000));
    let opensslRate: number;
    try {
      opensslRate = await hammer(`openssl ocsp responder (live-signed), HTTP POST, ${CLIENTS} clients`, SECONDS, CLIENTS, async () => {
        const res = await fetch(openssl.url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: openssl.request });
        await res.arrayBuffer();
      });
    } finally {
      openssl.stop();
    }

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
    await waitUntil(() => ca.events(CertificateIssued.type).length >= requests.length, 120_000, 'all issued');
    const issuanceRate = requests.length / ((Date.now() - started) / 1000);
    console.log(`phone issuance end to end (Kafka in → signed, superseding, stored, event out): ${issuanceRate.toFixed(1)}/s over ${requests.length}`);
    console.log(
      `ratios to one core's RSA-2048 signatures/s: OCSP live ${(liveRate / signRate).toFixed(3)}, pre-signed ${(preRate / signRate).toFixed(3)}, issuance ${(issuanceRate / signRate).toFixed(4)}`,
    );
    console.log(`ratios to openssl's own responder: OCSP live ${(liveRate / opensslRate).toFixed(2)}×, pre-signed ${(preRate / opensslRate).toFixed(2)}×`);
    const figures = { rsa2048SignPerSecond: signRate, ocsp: { livePerSecond: liveRate, preSignedPerSecond: preRate, opensslResponderPerSecond: opensslRate }, issuancePerSecond: issuanceRate, issued: requests.length };
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
