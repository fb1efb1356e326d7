/**
 * Benchmark: the CA's OCSP responder beside OpenSSL's own (`openssl ocsp -port`, RSA-2048, one process, signing every
 * answer), each as its own process, hammered by the same 16 HTTP clients from this process: pre-signed answers
 * (nonce-less RFC 5019 requests, what relying parties send at login and at the gate) and live-signed ones (a fresh
 * nonce each), beside this machine's RSA-2048 signature rate measured in the same run. Target: pre-signed ≥ 3× OpenSSL.
 *
 *   node -r @swc-node/register tools/bench/ocsp.ts      (needs PostgreSQL and Kafka: npm run infra:up)
 *   BENCH_SECONDS=5 BENCH_CLIENTS=16 …                   (defaults)
 *
 * jpki-ca runs as the platform starts it (its own process, schema and topics, removed afterwards); the certificate asked
 * about is a test citizen's card user-authentication certificate (same CA, responder and pre-signing as a phone's).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpJson } from '@jpki/jpki-client';
import { VirtualMyNumberCard } from '@jpki/mynumber-card';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { buildOcspRequest, verifyOcspResponse } from '@jpki/pki';
import { waitUntil } from '@jpki/testing';
import { hammer, log, rsa2048SignRate, runAsScript, SMOKE, startBenchPlatform, writeBenchResult } from './bench-support';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? (SMOKE ? 1 : 5));
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 16);

type Rate = Awaited<ReturnType<typeof hammer>>;

export interface OcspResult {
  rsa2048Sign: number;
  preSigned: Rate;
  live: Rate;
  opensslResponder: Rate;
  ratios: { preSignedToOpenssl: number; liveToOpenssl: number };
}

import { Agent, request as httpRequest } from 'node:http';
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const post = (url: string, body: Buffer) => () =>
  new Promise<void>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`OCSP HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });

/** `YYMMDDHHMMSSZ` for an OpenSSL CA index line. */
const indexTime = (date: Date) => `${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`;

/** OpenSSL's own responder on a throwaway RSA-2048 CA with one issued certificate, and a nonce-less request for it. */
async function opensslResponder(): Promise<{ url: string; request: Buffer; stop(): Promise<void> }> {
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
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const child = spawn('openssl', ['ocsp', '-index', 'index.txt', '-port', String(port), '-rsigner', 'ca.pem', '-rkey', 'ca.key', '-CA', 'ca.pem', '-ignore_err'], { cwd: o.directory, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  await waitUntil(() => post(url, request)().then(() => true, () => false), 10_000, 'openssl ocsp responder');
  return { url, request, stop: async () => (child.kill(), await o.dispose()) };
}

async function verifyGood(url: string, request: Buffer, certificate: Buffer, issuerCertificate: Buffer): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request });
  const verified = verifyOcspResponse({ response: Buffer.from(await res.arrayBuffer()), certificate, issuerCertificate });
  if (!verified.ok || verified.certificateStatus.status !== 'good') throw new Error(`the benchmarked answer does not verify as good: ${JSON.stringify(verified)}`);
}

/** How many answers the CA served pre-signed so far (its own metric). */
async function preSignedServed(ca: string): Promise<number> {
  const text = await (await fetch(`${ca}/metrics`)).text();
  return Number(/^ca_ocsp_responses_total\{[^}]*kind="pre-signed"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
}

export async function run(): Promise<OcspResult> {
  log('== OCSP: the CA responder (pre-signed, live) beside openssl ocsp ==');
  const rsa2048Sign = rsa2048SignRate();
  log(`  RSA-2048 sign (this thread): ${rsa2048Sign.toFixed(0)}/s`);
  const platform = await startBenchPlatform(['jpki-ca'], 'error');
  const ca = platform.endpoints.ca;
  try {
    const created = await new HttpJson(ca, platform.keys.operatorToken('bench', ['integrator'])).post<{ cardFile: unknown }>('/citizens', {
      name: 'ベンチ 応答',
      gender: 'female',
      dateOfBirth: '1985-05-05',
      address: '東京都千代田区霞が関2-1-2',
      prefecture: '東京都',
      municipality: '千代田区',
      signingPassword: 'BENCHOCSP1',
      userAuthenticationPin: '1234',
    });
    const card = VirtualMyNumberCard.open(created.cardFile);
    const certificate = card.certificate('user-authentication');
    const issuer = Buffer.from((created.cardFile as { caCertificates: { userAuthentication: string } }).caCertificates.userAuthentication, 'base64');
    const nonceless = buildOcspRequest({ certificate, issuerCertificate: issuer, hashAlgorithm: 'SHA-1', nonce: false }).der;
    const before = await preSignedServed(ca);
    await waitUntil(async () => (await post(`${ca}/ocsp`, nonceless)(), (await preSignedServed(ca)) > before), 15_000, 'a pre-signed answer');

    log(`pre-signed (no nonce), ${CLIENTS} clients, ${SECONDS} s…`);
    const servedBefore = await preSignedServed(ca);
    const preSigned = await hammer('pre-signed', SECONDS, CLIENTS, post(`${ca}/ocsp`, nonceless));
    // Every answer counted must have been the pre-signed one (not a refusal), and that answer must verify.
    const servedPreSigned = (await preSignedServed(ca)) - servedBefore;
    if (servedPreSigned < preSigned.done) throw new Error(`${preSigned.done} answers, only ${servedPreSigned} of them pre-signed`);
    await verifyGood(`${ca}/ocsp`, nonceless, certificate, issuer);
    log(`live-signed (fresh nonce), ${CLIENTS} clients, ${SECONDS} s…`);
    const live = await hammer('live', SECONDS, CLIENTS, () => post(`${ca}/ocsp`, buildOcspRequest({ certificate, issuerCertificate: issuer, hashAlgorithm: 'SHA-1' }).der)());
    const openssl = await opensslResponder();
    let opensslResponderRate: Rate;
    try {
      log(`openssl ocsp responder (signs every answer), ${CLIENTS} clients, ${SECONDS} s…`);
      opensslResponderRate = await hammer('openssl', SECONDS, CLIENTS, post(openssl.url, openssl.request));
    } finally {
      await openssl.stop();
    }
    const result: OcspResult = {
      rsa2048Sign,
      preSigned,
      live,
      opensslResponder: opensslResponderRate,
      ratios: { preSignedToOpenssl: preSigned.perSecond / opensslResponderRate.perSecond, liveToOpenssl: live.perSecond / opensslResponderRate.perSecond },
    };
    log(`  pre-signed ${preSigned.perSecond.toFixed(0)}/s (p50 ${preSigned.p50Ms.toFixed(1)} ms), live ${live.perSecond.toFixed(0)}/s, openssl ${opensslResponderRate.perSecond.toFixed(0)}/s`);
    log(`  ratios to openssl's responder: pre-signed ${result.ratios.preSignedToOpenssl.toFixed(2)}× [3×], live ${result.ratios.liveToOpenssl.toFixed(2)}×`);
    if (preSigned.errors + live.errors + opensslResponderRate.errors > 0) throw new Error('OCSP requests failed during the benchmark');
    writeBenchResult('ocsp', result);
    return result;
  } finally {
    await platform.stop();
  }
}

runAsScript(module, run);
