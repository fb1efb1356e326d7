import { iccidSchema } from '@jpki/contracts';
import { badRequest } from '@jpki/service-kit';

export function parseIccid(value: string): string {
  if (!iccidSchema.safeParse(value).success) throw badRequest('ICCID_INVALID', 'ICCID: 19-20 digits starting with 89');
  return value;
}
