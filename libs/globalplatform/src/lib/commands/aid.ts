import { SwError } from '../errors';
import { Sw } from '../status-words';

export const AID_MIN_LENGTH = 5;
export const AID_MAX_LENGTH = 16;

/** Rejects AIDs outside 5-16 bytes with 6A80, as the card commands require. */
export function requireAid(aid: Buffer, what = 'AID'): Buffer {
  if (aid.length < AID_MIN_LENGTH || aid.length > AID_MAX_LENGTH) {
    throw new SwError(Sw.WRONG_DATA, `${what} must be 5-16 bytes, got ${aid.length}`);
  }
  return aid;
}

/** Like requireAid, but an empty field is allowed (optional AIDs in INSTALL). */
export function optionalAid(aid: Buffer, what = 'AID'): Buffer | undefined {
  return aid.length === 0 ? undefined : requireAid(aid, what);
}
