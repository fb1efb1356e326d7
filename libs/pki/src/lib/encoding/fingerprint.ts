import { createHash } from 'node:crypto';

/** SHA-256 fingerprint in OpenSSL's `-fingerprint` style: uppercase hex pairs joined by colons. */
export function fingerprintSha256(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}
