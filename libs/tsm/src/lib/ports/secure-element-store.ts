import type { EntityManager } from 'typeorm';
import type { SequenceCounterStore } from '@jpki/globalplatform';

/** What the shared TSM code reads of a secure element: its life cycle and its ISD. */
export interface SecureElement {
  state: 'manufacturing' | 'active' | 'retired' | 'deactivated';
  isd_aid: string;
  isd_kvn: number;
}

/**
 * The app's secure elements, by `seid` (a secure element id; for a UICC, the ICCID): one OTA session per card at a
 * time (a lease), the ISD sequence counter the card last reported, the free memory it reported, and whether its
 * holder (a UICC's subscriber) is active. Used as the Nest token; the app provides its store for it.
 */
export abstract class SecureElementStore {
  abstract find(seid: string, m?: EntityManager): Promise<SecureElement | undefined>;
  /** Takes the card's OTA lease for `owner` (or renews it); false while another owner holds an unexpired one. */
  abstract lease(seid: string, owner: string, ms: number): Promise<boolean>;
  abstract release(seid: string, owner: string): Promise<void>;
  /** The ISD sequence counter the card last reported; unknown until the first INITIALIZE UPDATE. */
  abstract sequenceCounter(seid: string): SequenceCounterStore;
  /** Free memory as the card itself reported it (GET DATA FF21). */
  abstract recordFreeMemory(seid: string, bytes: number, at: Date): Promise<void>;
  /** The status of whoever the card serves (a UICC: its subscriber); undefined if nobody. */
  abstract holderStatus(seid: string): Promise<string | undefined>;
}
