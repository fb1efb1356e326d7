import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { availableParallelism } from 'node:os';

/** Operations per second of a synchronous operation, over `ms` milliseconds on this thread (after a warm-up). */
export function measureRate(ms: number, op: () => void): number {
  for (let i = 0; i < 50; i++) op();
  const start = process.hrtime.bigint();
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 20; i++) op();
    n += 20;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export interface EnrollmentCryptoBound {
  rsa2048KeygenPerSecond: number;
  rsa2048SignPerSecond: number;
  coreSecondsPerEnrollment: number;
  /** Enrollments per second this machine could do if it did nothing but their cryptography, on every core. */
  boundPerSecond: number;
}

/** The crypto bound of one enrollment: one RSA-2048 key generation and four signatures (on-card key or CA key, proofing, issuance, OCSP). */
export function enrollmentCryptoBound(keygenMs: number, signMs: number): EnrollmentCryptoBound {
  const started = Date.now();
  let keys = 0;
  while (keys < 3 || Date.now() - started < keygenMs) {
    generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys++;
  }
  const rsa2048KeygenPerSecond = keys / ((Date.now() - started) / 1000);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(64);
  const rsa2048SignPerSecond = measureRate(signMs, () => sign('sha256', data, privateKey));
  const coreSecondsPerEnrollment = 1 / rsa2048KeygenPerSecond + 4 / rsa2048SignPerSecond;
  return { rsa2048KeygenPerSecond, rsa2048SignPerSecond, coreSecondsPerEnrollment, boundPerSecond: availableParallelism() / coreSecondsPerEnrollment };
}
