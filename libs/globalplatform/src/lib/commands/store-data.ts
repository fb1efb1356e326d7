import { CommandApdu } from '../apdu/command-apdu';
import { SwError } from '../errors';
import { Sw } from '../status-words';
import { MAX_SECURE_BLOCK, splitBlocks } from './load';
import { GP_CLA, Ins } from './instructions';

export type StoreDataStructure = 'unspecified' | 'dgi' | 'ber-tlv';
export type StoreDataEncryption = 'none' | 'application-dependent' | 'encrypted';

export interface StoreDataFlags {
  readonly structure: StoreDataStructure;
  readonly encryption: StoreDataEncryption;
  /** ISO case 4 (P1 b1): response data may be returned. */
  readonly responseExpected?: boolean;
}

export interface StoreDataBlock {
  readonly lastBlock: boolean;
  readonly blockNumber: number;
  readonly flags: StoreDataFlags;
  readonly data: Buffer;
}

const LAST_BLOCK = 0x80;
const CASE_4 = 0x01;
const ENCRYPTION_CODES: Record<StoreDataEncryption, number> = { none: 0x00, 'application-dependent': 0x20, encrypted: 0x60 };
const STRUCTURE_CODES: Record<StoreDataStructure, number> = { unspecified: 0x00, dgi: 0x08, 'ber-tlv': 0x10 };

/** P1 coding, GPC Table 11-89. */
export function storeDataP1(flags: StoreDataFlags, lastBlock: boolean): number {
  return (
    (lastBlock ? LAST_BLOCK : 0) |
    ENCRYPTION_CODES[flags.encryption] |
    STRUCTURE_CODES[flags.structure] |
    (flags.responseExpected ? CASE_4 : 0)
  );
}

export function buildStoreDataCommands(data: Buffer, flags: StoreDataFlags, blockSize = MAX_SECURE_BLOCK): CommandApdu[] {
  const blocks = splitBlocks(data, blockSize);
  if (blocks.length > 256) {
    throw new RangeError('STORE DATA needs more than 256 blocks');
  }
  return blocks.map((block, index) => {
    const last = index === blocks.length - 1;
    const ne = last && flags.responseExpected ? 256 : undefined;
    return new CommandApdu(GP_CLA, Ins.STORE_DATA, storeDataP1(flags, last), index, block, ne);
  });
}

export function parseStoreData(command: CommandApdu): StoreDataBlock {
  const p1 = command.p1;
  const encryption = decode(ENCRYPTION_CODES, p1 & 0x60);
  const structure = decode(STRUCTURE_CODES, p1 & 0x18);
  if ((p1 & 0x06) !== 0) {
    throw new SwError(Sw.INCORRECT_P1P2, 'STORE DATA P1 uses RFU bits');
  }
  return {
    lastBlock: (p1 & LAST_BLOCK) !== 0,
    blockNumber: command.p2,
    flags: { structure, encryption, responseExpected: (p1 & CASE_4) !== 0 },
    data: command.data,
  };
}

function decode<T extends string>(codes: Record<T, number>, value: number): T {
  const match = (Object.keys(codes) as T[]).find((key) => codes[key] === value);
  if (match === undefined) {
    throw new SwError(Sw.INCORRECT_P1P2, `STORE DATA P1 uses an RFU coding (${value.toString(16)})`);
  }
  return match;
}
