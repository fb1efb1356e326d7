import { GpError, type JpkiKeyRole } from '@jpki/globalplatform';

export const CARD_IMAGE_FORMAT = 'jpki-virtual-uicc/1';

/** A keyset of a Security Domain; an empty key string marks a key removed by DELETE [key]. */
export interface KeysetRecord {
  kvn: number;
  enc: string;
  mac: string;
  dek: string;
  sequenceCounter: number;
  failedAuthentications: number;
}

/** Persistent data of one JPKI applet instance: only this instance ever reads it. */
export interface JpkiStore {
  /** The key this instance holds (INSTALL's C9); absent in images older than the signing instance: user authentication. */
  role?: JpkiKeyRole;
  pinDigest: string | null;
  pinTriesRemaining: number;
  contentKey: string | null;
  privateKey: string | null;
  certificate: string | null;
}

interface EntryRecord {
  aid: string;
  lifeCycle: number;
  /** AID of the associated Security Domain; null only for the ISD. */
  associatedSd: string | null;
}

export interface LoadFileRecord extends EntryRecord {
  kind: 'ELF';
  version: string;
  modules: string[];
  image: string;
  /** Immutable persistent memory (ROM): not deletable, not counted against the quota. */
  preloaded: boolean;
}

interface InstanceRecord extends EntryRecord {
  privileges: string;
  loadFile: string;
  module: string;
  installParameters: string;
}

export interface SecurityDomainRecord extends InstanceRecord {
  kind: 'ISD' | 'SSD';
  /** SCP03 "i" parameter from install parameter 81. */
  scpOptions: number;
  keysets: KeysetRecord[];
}

export interface ApplicationRecord extends InstanceRecord {
  kind: 'APP';
  jpki: JpkiStore | null;
}

export type RegistryRecord = LoadFileRecord | SecurityDomainRecord | ApplicationRecord;

/** The persistent state of a card: JSON-serialisable, bytes as upper-case hex. `revision` counts committed changes. */
export interface CardImage {
  format: typeof CARD_IMAGE_FORMAT;
  revision: number;
  iccid: string;
  cardLifeCycle: number;
  kdd: string;
  maxFailedAuthentications: number;
  memoryQuotaBytes: number;
  registry: RegistryRecord[];
}

export class CardImageError extends GpError {}

/** Structural check of an image read back from storage; it does not re-validate every byte string. */
export function validateCardImage(value: unknown): CardImage {
  const image = value as Partial<CardImage> | null;
  if (!image || image.format !== CARD_IMAGE_FORMAT) {
    throw new CardImageError(`not a ${CARD_IMAGE_FORMAT} image`);
  }
  const numbers = [image.revision, image.cardLifeCycle, image.maxFailedAuthentications, image.memoryQuotaBytes];
  if (numbers.some((n) => typeof n !== 'number' || !Number.isInteger(n)) || typeof image.iccid !== 'string' || typeof image.kdd !== 'string') {
    throw new CardImageError('card image header is incomplete');
  }
  if (!Array.isArray(image.registry) || image.registry.filter((record) => record.kind === 'ISD').length !== 1) {
    throw new CardImageError('card image registry needs exactly one ISD');
  }
  return image as CardImage;
}

/** Images hold JSON values only; cloning through JSON keeps it that way. */
export function cloneImage(image: CardImage): CardImage {
  return JSON.parse(JSON.stringify(image)) as CardImage;
}
