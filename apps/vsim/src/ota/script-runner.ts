import { claIsProprietary, claIsValid, claLogicalChannel, hex, Ins, ResponseApdu, Sw } from '@jpki/globalplatform';
import { statusWordOf } from '../cards/apdu-log';

/** Script execution continues after 9000, 61xx (more data), 62xx and 63xx (warnings); anything else stops it. */
export function isScriptErrorSw(sw: number): boolean {
  const sw1 = sw >> 8;
  return !(sw === Sw.OK || sw1 === 0x61 || sw1 === 0x62 || sw1 === 0x63);
}

/**
 * The OTA (remote application management) context sees only the basic channel: a command for another logical channel
 * or a MANAGE CHANNEL is answered 6881 without reaching the card, so OTA scripts and the handset's logical channels
 * never interfere. Commands with an invalid CLA go to the card, which answers 6E00.
 */
export function otaContextStatus(apdu: Buffer): number | undefined {
  const [cla, ins] = apdu;
  if (apdu.length < 4 || !claIsValid(cla)) return undefined;
  if (claLogicalChannel(cla) !== 0) return Sw.LOGICAL_CHANNEL_NOT_SUPPORTED;
  if (!claIsProprietary(cla) && ins === Ins.MANAGE_CHANNEL) return Sw.LOGICAL_CHANNEL_NOT_SUPPORTED;
  return undefined;
}

/**
 * Runs a script's command APDUs in order and returns one response (data ‖ SW, upper-case hex) per executed command,
 * stopping after the first error status word.
 */
export function runScript(apdus: readonly Buffer[], transmit: (apdu: Buffer) => Buffer): string[] {
  const responses: string[] = [];
  for (const apdu of apdus) {
    const refused = otaContextStatus(apdu);
    const response = refused === undefined ? transmit(apdu) : ResponseApdu.status(refused).toBytes();
    responses.push(hex(response));
    if (isScriptErrorSw(statusWordOf(response))) break;
  }
  return responses;
}
