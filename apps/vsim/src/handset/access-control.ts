import { HttpStatus } from '@nestjs/common';
import {
  claIsProprietary,
  claIsValid,
  claWithLogicalChannel,
  CommandApdu,
  hex,
  Ins,
  SelectP1,
} from '@jpki/globalplatform';
import type { CardImage } from '@jpki/uicc';

/**
 * The handset side of the card is guarded like an Android OMAPI terminal with GlobalPlatform SE Access Control
 * (ARA): a handset app may open channels only to the applets a rule allows, never to a security domain, and the
 * APDUs it transmits may not switch the channel to something else or drive a security domain's secure channel.
 */
export interface AidRule {
  /** Upper-case hex. */
  readonly aid: string;
  /** `true`: every AID starting with `aid` matches (rule written with a trailing `*`). */
  readonly prefix: boolean;
}

export function parseAidRules(spec: string): AidRule[] {
  const rules = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const prefix = entry.endsWith('*');
      const aid = (prefix ? entry.slice(0, -1) : entry).toUpperCase();
      const bytes = aid.length / 2;
      if (!/^([0-9A-F]{2})+$/.test(aid) || bytes > 16 || (!prefix && bytes < 5)) {
        throw new Error(`"${entry}" is not an AID (5-16 bytes of hex) or an AID prefix ending in *`);
      }
      return { aid, prefix };
    });
  if (rules.length === 0) throw new Error('at least one AID rule is required');
  return rules;
}

export function aidAllowed(rules: readonly AidRule[], aid: string): boolean {
  const wanted = aid.toUpperCase();
  return rules.some((rule) => (rule.prefix ? wanted.startsWith(rule.aid) : wanted === rule.aid));
}

/** A refusal of the handset API, before anything reaches the card. */
export interface Refusal {
  readonly status: HttpStatus;
  readonly reason: string;
  readonly message: string;
}

const deny = (reason: string, message: string): Refusal => ({ status: HttpStatus.FORBIDDEN, reason, message });
const bad = (reason: string, message: string): Refusal => ({ status: HttpStatus.BAD_REQUEST, reason, message });

export const isRefusal = (value: unknown): value is Refusal =>
  typeof value === 'object' && value !== null && 'reason' in value && 'status' in value;

/** May a handset open a channel to `aid` on this card? */
export function checkOpenChannel(rules: readonly AidRule[], aid: string, image: CardImage): Refusal | undefined {
  const wanted = aid.toUpperCase();
  const entry = image.registry.find((record) => record.aid === wanted);
  if (entry && (entry.kind === 'ISD' || entry.kind === 'SSD')) {
    return deny('ACCESS_DENIED_BY_ARA', 'security domains are not reachable from the handset');
  }
  if (!aidAllowed(rules, wanted)) {
    return deny('ACCESS_DENIED_BY_ARA', `no access rule allows the handset to reach ${wanted}`);
  }
  return undefined;
}

/** Largest APDU the handset channel carries: an extended case 4 with up to 4096 data bytes. */
export const MAX_HANDSET_APDU_BYTES = 4 + 3 + 4096 + 3;

/** GP secure-channel initiation (INITIALIZE UPDATE, EXTERNAL AUTHENTICATE) is an APDU filter of the ARA rule. */
const FILTERED_PROPRIETARY_INS: ReadonlySet<number> = new Set([Ins.INITIALIZE_UPDATE, Ins.EXTERNAL_AUTHENTICATE]);

export interface HandsetApdu {
  readonly command: CommandApdu;
  /** The bytes as they go to the card: the CLA carries the channel number (OMAPI sets it, not the app). */
  readonly bytes: Buffer;
}

/** Structural checks of an APDU from the handset (400 when they fail): hex, header present, Lc/Le consistent. */
export function parseHandsetApdu(apduHex: string): HandsetApdu | Refusal {
  if (!/^([0-9A-Fa-f]{2})*$/.test(apduHex)) {
    return bad('APDU_HEX_INVALID', 'the APDU must be an even number of hex digits');
  }
  const raw = Buffer.from(apduHex, 'hex');
  if (raw.length < 4) {
    return bad('APDU_TOO_SHORT', `an APDU has at least a 4-byte header, got ${raw.length} bytes`);
  }
  if (raw.length > MAX_HANDSET_APDU_BYTES) {
    return bad('APDU_TOO_LONG', `the handset channel carries at most ${MAX_HANDSET_APDU_BYTES} bytes`);
  }
  try {
    return { command: CommandApdu.parse(raw), bytes: raw };
  } catch {
    return bad('APDU_LENGTH_INVALID', 'Lc/Le do not match the length of the APDU (ISO 7816-4 cases 1-4)');
  }
}

/**
 * Applies the channel's access rules to a parsed APDU (403 when they refuse it) and moves it to the channel. Everything
 * allowed goes to the card unchanged apart from the channel bits, and the card answers it with a status word.
 */
export function routeHandsetApdu(apdu: HandsetApdu, channel: number, channelAid: string): HandsetApdu | Refusal {
  const { command, bytes: raw } = apdu;
  const cla = raw[0];
  if (!claIsValid(cla)) {
    return apdu; // the card answers 6E00
  }
  const interindustry = !claIsProprietary(cla);
  if (interindustry && command.ins === Ins.MANAGE_CHANNEL) {
    return deny('CHANNEL_SWITCH_DENIED', 'MANAGE CHANNEL is reserved to the terminal (open/close the channel through the API)');
  }
  if (interindustry && command.ins === Ins.SELECT && command.p1 === SelectP1.BY_NAME && hex(command.data) !== channelAid.toUpperCase()) {
    return deny('CHANNEL_SWITCH_DENIED', 'SELECT by name may not switch the channel to another application');
  }
  if (!interindustry && FILTERED_PROPRIETARY_INS.has(command.ins)) {
    return deny('ACCESS_DENIED_BY_ARA', 'secure-channel initiation is reserved to the OTA path (APDU filter)');
  }
  const bytes = Buffer.from(raw);
  bytes[0] = claWithLogicalChannel(cla, channel);
  return { command, bytes };
}

export function checkTransmit(apduHex: string, channel: number, channelAid: string): HandsetApdu | Refusal {
  const parsed = parseHandsetApdu(apduHex);
  return isRefusal(parsed) ? parsed : routeHandsetApdu(parsed, channel, channelAid);
}
