import { randomBytes } from 'node:crypto';

/** A new eSE's SEID: `E5` and 9 random bytes in upper-case hex, its 10-byte card id and the KDD of its ISD keys. */
export function newSeid(): string {
  return `E5${randomBytes(9).toString('hex').toUpperCase()}`;
}
