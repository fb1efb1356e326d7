import { CommandApdu } from '../apdu/command-apdu';
import { AES_BLOCK } from '../crypto/aes';
import { SwError } from '../errors';
import { Sw } from '../status-words';
import { decodeTlvs, encodeTlv } from '../tlv/ber-tlv';
import { GP_CLA, Ins } from './instructions';

/**
 * Largest plain data field that still fits `maxApduDataBytes` after C-ENC padding (to whole AES blocks, at least one
 * padding byte) and a C-MAC of `macLength` bytes (8 in SCP03 S8 mode, 16 in S16).
 */
export function secureBlockSize(maxApduDataBytes: number, macLength: 8 | 16): number {
  return Math.floor((maxApduDataBytes - macLength) / AES_BLOCK) * AES_BLOCK - 1;
}

/** Largest plain block that still fits a short APDU in S8 mode: 239. */
export const MAX_SECURE_BLOCK = secureBlockSize(255, 8);

const LAST_BLOCK = 0x80;

const LoadTag = {
  DAP_BLOCK: 0xe2,
  LOAD_FILE_DATA_BLOCK: 0xc4,
  CIPHERED_LOAD_FILE_DATA_BLOCK: 0xd4,
} as const;

export interface LoadBlock {
  readonly lastBlock: boolean;
  readonly blockNumber: number;
  readonly data: Buffer;
}

/** Splits data into blocks of at most `blockSize` bytes (at least one block). */
export function splitBlocks(data: Buffer, blockSize: number): Buffer[] {
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`invalid block size ${blockSize}`);
  }
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < data.length || blocks.length === 0; offset += blockSize) {
    blocks.push(data.subarray(offset, offset + blockSize));
  }
  return blocks;
}

/** LOAD commands for a Load File Data Block: C4 TLV split into numbered blocks, P1=80 on the last. */
export function buildLoadCommands(loadFileDataBlock: Buffer, blockSize = MAX_SECURE_BLOCK): CommandApdu[] {
  const blocks = splitBlocks(encodeTlv(LoadTag.LOAD_FILE_DATA_BLOCK, loadFileDataBlock), blockSize);
  if (blocks.length > 256) {
    throw new RangeError('load file needs more than 256 blocks');
  }
  return blocks.map(
    (block, index) =>
      new CommandApdu(GP_CLA, Ins.LOAD, index === blocks.length - 1 ? LAST_BLOCK : 0x00, index, block, 256),
  );
}

export function parseLoadCommand(command: CommandApdu): LoadBlock {
  if ((command.p1 & ~LAST_BLOCK) !== 0) {
    throw new SwError(Sw.INCORRECT_P1P2, 'LOAD P1 must be 00 or 80');
  }
  return { lastBlock: command.p1 === LAST_BLOCK, blockNumber: command.p2, data: command.data };
}

/** Extracts the Load File Data Block from a complete Load File (GPC Table 11-58); DAP and ciphered blocks → 6A80. */
export function extractLoadFileDataBlock(loadFile: Buffer): Buffer {
  const tlvs = decodeTlvs(loadFile);
  if (tlvs.length !== 1 || tlvs[0].tag !== LoadTag.LOAD_FILE_DATA_BLOCK) {
    throw new SwError(Sw.WRONG_DATA, 'load file must be a single C4 block (no DAP, no ciphered block)');
  }
  return tlvs[0].value;
}
