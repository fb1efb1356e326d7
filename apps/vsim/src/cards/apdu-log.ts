import { CommandApdu } from '@jpki/globalplatform';

/**
 * What may be logged of an APDU exchange: the header (CLA INS P1 P2), Lc and the status word. The data fields can
 * carry PINs, key blocks, sealed private keys and signatures, so they never reach a log line.
 */
export interface ApduLogFields {
  cla: string;
  ins: string;
  p1: string;
  p2: string;
  /** Lc: the length of the data field (null for a malformed APDU or one without data), never the data. */
  lc: number | null;
  sw: string;
  responseLength: number;
}

const byte = (value: number | undefined) => (value === undefined ? '--' : value.toString(16).toUpperCase().padStart(2, '0'));

export function apduLogFields(command: Uint8Array, response: Uint8Array): ApduLogFields {
  return {
    cla: byte(command[0]),
    ins: byte(command[1]),
    p1: byte(command[2]),
    p2: byte(command[3]),
    lc: dataLength(command),
    sw: response.length >= 2 ? Buffer.from(response.subarray(response.length - 2)).toString('hex').toUpperCase() : '----',
    responseLength: Math.max(0, response.length - 2),
  };
}

export function statusWordOf(response: Uint8Array): number {
  return Buffer.from(response).readUInt16BE(response.length - 2);
}

function dataLength(command: Uint8Array): number | null {
  try {
    const length = CommandApdu.parse(command).data.length;
    return length === 0 ? null : length;
  } catch {
    return null;
  }
}
