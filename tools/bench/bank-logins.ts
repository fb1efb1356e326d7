/**
 * Benchmark: internet-banking logins per second end to end — challenge (HTTP) + signature by the holder's
 * user-authentication key + the bank's verification (signature, chain to the JPKI user-authentication CA,
 * OCSP over HTTP with a fresh nonce, which the CA signs live) + session — at several concurrency levels,
 * beside the raw RSA-2048 / ECDSA P-256 verify rates and the RSA-2048 sign rate measured in the same run.
 *
 *   node -r @swc-node/register tools/bench/bank-logins.ts          (needs PostgreSQL and Kafka: npm run infra:up)
 *   BENCH_SECONDS=5 BENCH_CONCURRENCY=1,4,16 BENCH_HOLDERS=8 …      (defaults)
 *
 * jpki-ca and rp-bank run as separate processes (the platform's own stack), with schemas and topics of their
 * own that are removed afterwards. Holders are test citizens' My Number card user-authentication certificates
 * (same CA, same chain and OCSP path as a phone certificate) signing with their software RSA-2048 key, so the
 * client side costs one RSA signature per login and the vSIM's APDU path is not what is measured.
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { BankClient, HttpJson, JpkiCaDirectory } from '@jpki/jpki-client';
import { VirtualMyNumberCard } from '@jpki/mynumber-card';
import type { Signer } from '@jpki/pki';
import { checkHolderCertificate, OnlineHolderVerifier, verifyHolder, type StatusSource } from '@jpki/relying-party';
import { measureRate } from '@jpki/testing';
import { benchDuration, hammer, log, runAsScript, SMOKE, startBenchPlatform, writeBenchResult } from './bench-support';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? (SMOKE ? 1 : 5));
const LEVELS = (process.env['BENCH_CONCURRENCY'] ?? (SMOKE ? '1,4' : '1,4,16')).split(',').map(Number);
const HOLDERS = Number(process.env['BENCH_HOLDERS'] ?? (SMOKE ? 2 : 8));

export interface BankLoginsResult {
  primitives: { rsa2048Verify: number; ecdsaP256Verify: number; rsa2048Sign: number };
  inProcess: { signatureAndChain: number };
  ocspChecks: number;
  logins: { concurrency: number; perSecond: number; p50Ms: number; p95Ms: number; errors: number }[];
}


function primitives(): BankLoginsResult['primitives'] {
  const data = randomBytes(32);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const rsaSig = sign('sha256', data, rsa.privateKey);
  const ecSig = sign('sha256', data, ec.privateKey);
  log('raw crypto (node:crypto, this thread, 2 s each)…');
  const rsa2048Verify = measureRate(benchDuration(2000), () => verify('sha256', data, rsa.publicKey, rsaSig));
  log(`  RSA-2048 PKCS#1 v1.5 verify: ${rsa2048Verify.toFixed(0)}/s`);
  const ecdsaP256Verify = measureRate(benchDuration(2000), () => verify('sha256', data, ec.publicKey, ecSig));
  log(`  ECDSA P-256 verify:          ${ecdsaP256Verify.toFixed(0)}/s`);
  const rsa2048Sign = measureRate(benchDuration(2000), () => sign('sha256', data, rsa.privateKey));
  log(`  RSA-2048 PKCS#1 v1.5 sign:   ${rsa2048Sign.toFixed(0)}/s`);
  return { rsa2048Verify, ecdsaP256Verify, rsa2048Sign };
}

interface Holder {
  certificate: Buffer;
  signer: Signer;
}

export async function run(): Promise<BankLoginsResult> {
  log('== bank logins: challenge + sign + verify (signature, chain, OCSP over HTTP) + session ==');
  const raw = primitives();

  const platform = await startBenchPlatform(['jpki-ca', 'rp-bank'], 'error');
  const e = platform.endpoints;
  const keys = platform.keys;
  try {
    const token = keys.operatorToken('bench', ['integrator']);
    log(`creating ${HOLDERS} holders (test citizens' card user-authentication keys)…`);
    const holders: Holder[] = [];
    for (let i = 0; i < HOLDERS; i++) {
      const pin = String(1000 + i);
      const created = await new HttpJson(e.ca, token).post<{ cardFile: unknown }>('/citizens', {
        name: `ベンチ ${i}`,
        gender: 'female',
        dateOfBirth: '1985-05-05',
        address: '東京都千代田区霞が関2-1-2',
        prefecture: '東京都',
        municipality: '千代田区',
        signingPassword: `BENCH${i}PASS1`,
        userAuthenticationPin: pin,
      });
      const card = VirtualMyNumberCard.open(created.cardFile);
      holders.push({ certificate: card.certificate('user-authentication'), signer: await card.userAuthenticationSigner(pin) });
    }

    // The RP's own CPU path without the network: signature + chain (status stubbed as good).
    const verifier = new OnlineHolderVerifier(new JpkiCaDirectory(e.ca));
    const trust = await verifier.trust();
    const good: StatusSource = { status: async () => ({ status: { status: 'good' }, source: 'ocsp' }) };
    const challenge = randomBytes(32);
    const signature = await holders[0].signer.sign(challenge);
    const caStatus = verifier.caStatusSource(await verifier.rootCrl(new Date()));
    log('in-process verification without OCSP (signature + chain), 2 s…');
    let n = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 2000) {
      const r = await verifyHolder({ trust, holderStatus: good, caStatus, at: new Date(), challenge, signature, certificate: holders[0].certificate });
      if (!r.ok) throw new Error(`bench holder refused: ${r.reason}`);
      n++;
    }
    const signatureAndChain = n / ((Date.now() - t0) / 1000);
    log(`  ${signatureAndChain.toFixed(0)}/s`);

    log('OCSP status checks over HTTP (fresh nonce, live-signed by the CA, response verified), 16 clients…');
    let next = 0;
    const ocsp = await hammer('ocsp', SECONDS, 16, async () => {
      const h = holders[next++ % holders.length];
      const r = await checkHolderCertificate(h.certificate, { trust, holderStatus: verifier.ocsp, caStatus, at: new Date() });
      if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
    });
    log(`  ${ocsp.perSecond.toFixed(0)}/s (p50 ${ocsp.p50Ms.toFixed(1)} ms)`);

    const bank = new BankClient(e.rpBank);
    const login = async () => {
      const h = holders[next++ % holders.length];
      await bank.login(async (c) => ({ signature: await h.signer.sign(c), certificate: h.certificate }));
    };
    for (let i = 0; i < 20; i++) await login(); // warm-up (JIT, connection pools, root CRL)
    const logins: BankLoginsResult['logins'] = [];
    for (const concurrency of LEVELS) {
      log(`bank logins, ${concurrency} concurrent client(s), ${SECONDS} s…`);
      const r = await hammer(`c=${concurrency}`, SECONDS, concurrency, login);
      logins.push({ concurrency, ...r });
      log(`  ${r.perSecond.toFixed(1)} logins/s, p50 ${r.p50Ms.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
    }

    const result: BankLoginsResult = { primitives: raw, inProcess: { signatureAndChain }, ocspChecks: ocsp.perSecond, logins };
    report(result);
    writeBenchResult('bank-logins', result);
    return result;
  } finally {
    await platform.stop();
  }
}

function report(r: BankLoginsResult): void {
  const { rsa2048Verify, ecdsaP256Verify, rsa2048Sign } = r.primitives;
  const best = Math.max(...r.logins.map((l) => l.perSecond));
  log('');
  log('| measure | per second | vs RSA-2048 verify | vs ECDSA P-256 verify | vs RSA-2048 sign |');
  log('|---|---:|---:|---:|---:|');
  const row = (label: string, v: number) =>
    log(`| ${label} | ${v.toFixed(1)} | ${(v / rsa2048Verify).toFixed(4)} | ${(v / ecdsaP256Verify).toFixed(4)} | ${(v / rsa2048Sign).toFixed(4)} |`);
  row('RSA-2048 PKCS#1 verify (raw)', rsa2048Verify);
  row('ECDSA P-256 verify (raw)', ecdsaP256Verify);
  row('RSA-2048 sign (raw)', rsa2048Sign);
  row('RP signature + chain, in-process, no OCSP', r.inProcess.signatureAndChain);
  row('OCSP check over HTTP (16 clients)', r.ocspChecks);
  for (const l of r.logins) row(`bank login end to end, c=${l.concurrency} (p50 ${l.p50Ms.toFixed(1)} ms, p95 ${l.p95Ms.toFixed(1)} ms)`, l.perSecond);
  log('');
  log(`best login rate ${best.toFixed(1)}/s = 1/${(rsa2048Verify / best).toFixed(0)} of the raw RSA verify rate, 1/${(rsa2048Sign / best).toFixed(1)} of the raw RSA sign rate`);
  log('(per login: 1 client RSA sign, 1 CA OCSP RSA sign, ≥4 RSA verifies at the bank, 2 HTTP round trips to the bank, 1 to the CA, 3 DB writes;');
  log(' bench client, rp-bank and jpki-ca share this machine’s CPUs.)');
}

runAsScript(module, run);
