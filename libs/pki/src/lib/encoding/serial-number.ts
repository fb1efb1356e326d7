import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';

/** A certificate serial as the CA stores it: bigint, hex string (any case, optional colons) or raw bytes. */
export type SerialNumberInput = bigint | string | Buffer;

export class SerialNumberError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SerialNumberError';
  }
}

/** Normalises a serial to a bigint; raw bytes are read as the DER INTEGER content (two's complement). */
export function parseSerialNumber(input: SerialNumberInput): bigint {
  if (typeof input === 'bigint') return input;
  if (Buffer.isBuffer(input)) {
    if (input.length === 0) throw new SerialNumberError('empty serial number');
    return new asn1js.Integer({ valueHex: input }).toBigInt();
  }
  const hex = input.replace(/[:\s]/g, '').replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new SerialNumberError(`not a hex serial number: ${input}`);
  return BigInt(`0x${hex}`);
}

/** Uppercase hex with an even number of digits, no separators (the form used in logs, APIs and DB keys). */
export function formatSerialNumber(input: SerialNumberInput): string {
  const value = parseSerialNumber(input);
  if (value < 0n) return `-${formatSerialNumber(-value)}`;
  const hex = value.toString(16).toUpperCase();
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

/**
 * A positive serial with 127 bits of CSPRNG output (CA/B Forum asks for ≥ 64); the top bit of the first
 * octet is cleared so the DER INTEGER stays positive and ≤ 16 octets.
 */
export function randomSerialNumber(): bigint {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01;
  return BigInt(`0x${bytes.toString('hex')}`);
}
