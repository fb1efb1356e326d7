import { Inject, Injectable } from '@nestjs/common';
import type { Carrier } from '@jpki/contracts';
import { SeAddressing, type FailureAddress } from '@jpki/tsm';
import type { MnoTsmSettings } from './config';
import { MNO_SETTINGS } from './tokens';

/**
 * What an MNO-TSM receives of a TSM message: the carrier's form. The inbox lets through only payloads for this
 * carrier's topics (an eSE's `{seid}` payload is dead-lettered CARRIER_MISMATCH), so the other form never reaches a
 * handler; this narrows the contracts' union to what the inbox guarantees.
 */
export function carrierForm<P extends object>(payload: P): Extract<P, { carrier: Carrier }> {
  if (!('carrier' in payload)) throw new Error('an embedded-SE payload reached the MNO-TSM');
  return payload as Extract<P, { carrier: Carrier }>;
}

/** The carrier's SIMs: a card is `{carrier, iccid}` (its SEID is the ICCID); a failure names the carrier. */
@Injectable()
export class CarrierAddressing extends SeAddressing {
  constructor(@Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings) {
    super();
  }

  address(iccid: string): { carrier: Carrier; iccid: string } {
    return { carrier: this.settings.carrier, iccid };
  }

  failureAddress(): FailureAddress {
    return { carrier: this.settings.carrier };
  }
}
