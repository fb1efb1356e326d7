import { Injectable } from '@nestjs/common';
import { SeAddressing, type FailureAddress } from '@jpki/tsm';

/**
 * What the SE-management TSM receives of a TSM message: the eSE form. The inbox lets through only payloads naming a
 * `seid` on its topics (a carrier's is dead-lettered CARRIER_MISMATCH); this narrows the contracts' union to that.
 */
export function eseForm<P extends object>(payload: P): Extract<P, { seid: string }> {
  if (!('seid' in payload)) throw new Error('a carrier payload reached the SE-management TSM');
  return payload as Extract<P, { seid: string }>;
}

/** Embedded SEs: a card is `{seid}`, on the eSE topics (`se.*`, `ota.ese.*`); a failure names the eSE too. */
@Injectable()
export class EseAddressing extends SeAddressing {
  address(seid: string): { seid: string } {
    return { seid };
  }

  failureAddress(seid: string | undefined): FailureAddress {
    // Every request to this TSM names its eSE, and admission keeps it with the operation.
    if (!seid) throw new Error('an eSE operation without its SEID');
    return { seid };
  }
}
