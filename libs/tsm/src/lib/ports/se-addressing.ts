import type { Carrier, SeAddress } from '@jpki/contracts';

/** Where a failure reply goes: an MNO-TSM names its carrier (the request may name no card), an eSE's TSM the SEID. */
export type FailureAddress = { readonly carrier: Carrier } | { readonly seid: string };

/**
 * How the app's messages name a card: the one thing the TSM message families differ in. An MNO-TSM addresses its
 * carrier's SIM (`{carrier, iccid}`, the SEID being the ICCID), the SE-management TSM an embedded SE (`{seid}`).
 * Used as the Nest token; the app provides its addressing for it.
 */
export abstract class SeAddressing {
  abstract address(seid: string): SeAddress;
  /** The address of a failure reply about the card `seid` (undefined: the request named none, e.g. an MSISDN). */
  abstract failureAddress(seid: string | undefined): FailureAddress;
}
