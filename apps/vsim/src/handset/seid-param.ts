import { seidSchema } from '@jpki/contracts';
import { badRequest } from '@jpki/service-kit';

/** The card a path names: a SIM by its ICCID or an embedded SE by its SEID (the two forms cannot collide). */
export function parseSeid(value: string): string {
  if (!seidSchema.safeParse(value).success) {
    throw badRequest('SEID_INVALID', 'SEID: an ICCID (19-20 digits starting with 89) or an eSE id (E5 and 18 upper-case hex digits)');
  }
  return value;
}
