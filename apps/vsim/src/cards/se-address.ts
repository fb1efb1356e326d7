import type { Carrier, SeAddress, SeKind } from '@jpki/contracts';
import type { OtaBearerName } from '../bearer/ota-bearer';

/** A card as vsim keys it: its SEID, its kind, and the carrier of a SIM (an eSE belongs to none). */
export interface CardAddress {
  readonly seid: string;
  readonly kind: SeKind;
  readonly carrier: Carrier | null;
}

/** The card an OTA message addresses: a carrier's SIM by ICCID, or an embedded SE by SEID. */
export const cardAddressOf = (address: SeAddress): CardAddress =>
  'seid' in address ? { seid: address.seid, kind: 'ese', carrier: null } : { seid: address.iccid, kind: 'uicc', carrier: address.carrier };

/** How vsim's messages name the card: `topicOf` sends a SIM's to its carrier's topic, an eSE's to `ota.ese.up`. */
export const seAddressOf = (card: CardAddress): SeAddress => (card.carrier === null ? { seid: card.seid } : { carrier: card.carrier, iccid: card.seid });

/** The bearer that reaches the card: its carrier's OTA bearer, or the eSE push channel. */
export const bearerOf = (card: CardAddress): OtaBearerName => card.carrier ?? 'ese';
