import { generateKeyPairSync } from 'node:crypto';
import {
  buildCertificateDo,
  buildContentKeyDo,
  buildGetResponse,
  buildInstallForInstall,
  buildInstallForLoad,
  buildInstallForPersonalization,
  buildInstallParameters,
  buildKeySetDgis,
  buildLoadCommands,
  buildManageChannelOpen,
  buildPrivateKeyDo,
  buildPutKey,
  buildSelect,
  buildSetStatus,
  buildStoreDataCommands,
  CardScript,
  CardStatusError,
  claWithLogicalChannel,
  CommandApdu,
  encodeTlv,
  fromHex,
  GpSession,
  JpkiAid,
  jpkiInstallParameters,
  type JpkiKeyRole,
  Privilege,
  Privileges,
  ResponseApdu,
  Scp03KeySet,
  type Scp03SMode,
  ScriptStopped,
  type ScriptPart,
  type ScriptTransport,
  SecurityLevel,
  SetStatusScope,
  StoreDataFlags,
  Sw,
} from '@jpki/globalplatform';
import { RsaKeyPair, RsaKeyPairFactory } from '../lib/key-pair-factory';
import { SecurityDomainPackage } from '../lib/preloaded-content';
import { ManufactureOptions, VirtualUicc } from '../lib/virtual-uicc';

export const ICCID = '8981100000000000012';
export const ISD_AID = fromHex('A000000151000000');
export const SSD_A = fromHex('A0000005591010FFFFFFFF8900000100');
export const SSD_B = fromHex('A0000005591010FFFFFFFF8900000200');
export const JPKI_A = fromHex('D392F000260100000101');
export const JPKI_B = fromHex('D392F000260100000102');

const keys = (kvn: number, seed: number) =>
  new Scp03KeySet(kvn, Buffer.alloc(16, seed), Buffer.alloc(16, seed + 1), Buffer.alloc(16, seed + 2));

/** MNO's ISD keyset, the temporary SSD keysets the MNO hands over, and the SPs' own keysets. */
export const MNO_ISD_KEYS = keys(0x30, 0x10);
export const TEMP_KEYS_A = keys(0x30, 0x20);
export const SP_KEYS_A = keys(0x31, 0x30);
export const TEMP_KEYS_B = keys(0x30, 0x40);
export const SP_KEYS_B = keys(0x31, 0x50);
export const CONTENT_KEY_A = Buffer.alloc(32, 0xca);

/** One pool of RSA-2048 pairs per test file keeps on-card generation fast and the tests deterministic enough. */
let pool: RsaKeyPair[] | undefined;
export function rsaPool(): RsaKeyPair[] {
  pool ??= Array.from({ length: 3 }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }));
  return pool;
}

export function pooledKeyPairs(): RsaKeyPairFactory {
  let next = 0;
  return () => rsaPool()[next++ % rsaPool().length];
}

export function newCard(options: Partial<ManufactureOptions> = {}): VirtualUicc {
  return VirtualUicc.manufacture(
    { iccid: ICCID, isdKeyset: MNO_ISD_KEYS, memoryQuotaBytes: 64 * 1024, ...options },
    { keyPairFactory: pooledKeyPairs() },
  );
}

/** The card as an OTA script reaches it: the commands in order, stopping after the first error status word. */
export function otaScripts(card: VirtualUicc, tamper: (apdu: Buffer, index: number) => Buffer = (apdu) => apdu): ScriptTransport & { roundTrips: number } {
  const transport = async (apdus: Buffer[]) => {
    transport.roundTrips += 1;
    const responses: Buffer[] = [];
    for (const [i, apdu] of apdus.entries()) {
      const response = card.transmit(tamper(apdu, i));
      responses.push(response);
      const sw = response.readUInt16BE(response.length - 2);
      if (!(sw === Sw.OK || [0x61, 0x62, 0x63].includes(sw >> 8))) break;
    }
    return responses;
  };
  transport.roundTrips = 0;
  return transport;
}

export interface SessionOptions {
  /** C-DECRYPTION and C-MAC unless said. */
  readonly level?: number;
  readonly sMode?: Scp03SMode;
  /** What is selected and challenges the session: the security domain itself, or an applet of it (indirect handling). */
  readonly aid?: Buffer;
  /** The last command answers more than 256 bytes: a GET RESPONSE follows it. */
  readonly long?: boolean;
}

/** The host's GpSession with one keyset of a security domain on the card; it learns the sequence counter on first use. */
export function gpSession(card: VirtualUicc, sdAid: Buffer, keys: Scp03KeySet, options: SessionOptions = {}): GpSession {
  return new GpSession(otaScripts(card), sdAid, keys, { securityLevel: options.level ?? SecurityLevel.C_DECRYPTION_C_MAC, sMode: options.sMode });
}

/** One script: SELECT, then one secure session running `commands`; resolves with their answers. */
export function inSession(card: VirtualUicc, sdAid: Buffer, keys: Scp03KeySet, commands: readonly CommandApdu[], options: SessionOptions = {}): Promise<ScriptPart> {
  const aid = options.aid ?? sdAid;
  return gpSession(card, sdAid, keys, options).run((script, session) => {
    script.select(aid);
    return session(aid, commands, options.long);
  });
}

/** `inSession` where the card refuses one of `commands`: which one (its index) and with what status word. */
export async function refusal(
  card: VirtualUicc,
  sdAid: Buffer,
  keys: Scp03KeySet,
  commands: readonly CommandApdu[],
  options: SessionOptions = {},
): Promise<{ at: number; sw: number }> {
  const error = await inSession(card, sdAid, keys, commands, options).then(() => new Error('the card accepted every command'), (e: unknown) => e);
  const at = error instanceof ScriptStopped ? commands.indexOf(error.command) : -1;
  if (!(error instanceof ScriptStopped) || at < 0) throw error;
  return { at, sw: error.sw };
}

/**
 * A secure session planned on the keyset's next counter (learnt by an INITIALIZE UPDATE) and opened on the card, its
 * wrapped `commands` left for the test to send, alter or replay; `check` hands the host the card's answers to them.
 */
export async function openedSession(
  card: VirtualUicc,
  sdAid: Buffer,
  keys: Scp03KeySet,
  commands: readonly CommandApdu[],
  options: SessionOptions = {},
): Promise<{ wrapped: Buffer[]; check(responses: Buffer[]): Promise<ScriptPart> }> {
  const learn = new CardScript();
  learn.select(sdAid);
  const learnt = learn.initializeUpdate(sdAid, keys, { sMode: options.sMode });
  await learn.run(otaScripts(card));
  const aid = options.aid ?? sdAid;
  const script = new CardScript();
  script.select(aid);
  const securityLevel = options.level ?? SecurityLevel.C_DECRYPTION_C_MAC;
  const part = script.session(aid, { keys, securityLevel, sMode: options.sMode, sequenceCounter: (learnt.sequenceCounter ?? 0) + 1 }, commands, options.long);
  const [select, initializeUpdate, externalAuthenticate, ...wrapped] = script.apdus;
  const opening = [select, initializeUpdate, externalAuthenticate].map((apdu) => card.transmit(apdu));
  expect(opening.map(sw)).toEqual(['9000', '9000', '9000']);
  return {
    wrapped,
    check: async (responses) => {
      await script.run(async () => [...opening, ...responses]);
      return part;
    },
  };
}

/** Plain commands (no secure channel) on the basic channel, as one script. */
export async function plain(card: VirtualUicc, commands: readonly CommandApdu[]): Promise<ScriptPart> {
  const script = new CardScript();
  const part = script.plain(commands);
  await script.run(otaScripts(card));
  return part;
}

/** INSTALL [for personalization] of a new SSD and its first keyset as DGIs 00B9/8113 under the parent's DEK. */
export function keySetCommands(ssdAid: Buffer, keys: Scp03KeySet, parentDek: Buffer): CommandApdu[] {
  return [buildInstallForPersonalization(ssdAid), ...buildStoreDataCommands(buildKeySetDgis(keys, parentDek), { structure: 'dgi', encryption: 'application-dependent' })];
}

/** INSTALL [for load] and the LOAD blocks of a load file. */
export function loadCommands(loadFileAid: Buffer, loadFile: Buffer, blockSize?: number): CommandApdu[] {
  return [buildInstallForLoad({ loadFileAid }), ...buildLoadCommands(loadFile, blockSize)];
}

/** SET STATUS locking (or unlocking) an application, or a security domain with its applications. */
export function setLocked(aid: Buffer, lock: boolean, withApplications = false): CommandApdu {
  return buildSetStatus(withApplications ? SetStatusScope.DOMAIN_AND_APPLICATIONS : SetStatusScope.APPLICATION, lock ? 0x80 : 0x00, aid);
}

export const SSD_PRIVILEGES = Privileges.of(Privilege.SecurityDomain, Privilege.AuthorizedManagement);
export const SSD_PARAMETERS = buildInstallParameters({ securityDomain: { scpId: 0x03, i: 0x70 } });

export function installSsd(ssdAid: Buffer, installParameters = SSD_PARAMETERS, privileges = SSD_PRIVILEGES): CommandApdu {
  return buildInstallForInstall({ loadFileAid: SecurityDomainPackage.LOAD_FILE, moduleAid: SecurityDomainPackage.MODULE, applicationAid: ssdAid, privileges, installParameters });
}

/** MNO-TSM: INSTALL [for install and make selectable] of the SSD, then its temporary keyset via the ISD. */
export async function createSsd(card: VirtualUicc, ssdAid: Buffer, tempKeys: Scp03KeySet, installParameters = SSD_PARAMETERS): Promise<void> {
  await inSession(card, ISD_AID, MNO_ISD_KEYS, [installSsd(ssdAid, installParameters), ...keySetCommands(ssdAid, tempKeys, MNO_ISD_KEYS.dek)]);
}

/** SP-TSM: replace the temporary keyset with its own (key handover). */
export async function handOver(card: VirtualUicc, ssdAid: Buffer, tempKeys: Scp03KeySet, spKeys: Scp03KeySet): Promise<void> {
  await inSession(card, ssdAid, tempKeys, [buildPutKey(spKeys, tempKeys.dek, tempKeys.kvn)]);
}

export function installJpkiCommand(instanceAid: Buffer, role: JpkiKeyRole = 'user-authentication'): CommandApdu {
  return buildInstallForInstall({
    loadFileAid: JpkiAid.LOAD_FILE,
    moduleAid: JpkiAid.MODULE,
    applicationAid: instanceAid,
    privileges: Privileges.of(),
    installParameters: jpkiInstallParameters(role),
  });
}

export async function installJpki(card: VirtualUicc, ssdAid: Buffer, spKeys: Scp03KeySet, instanceAid: Buffer, role: JpkiKeyRole = 'user-authentication'): Promise<void> {
  await inSession(card, ssdAid, spKeys, [installJpkiCommand(instanceAid, role)]);
}

/** A card with SP A's SSD handed over and a JPKI instance installed in it. */
export async function provisionedCard(): Promise<VirtualUicc> {
  const card = newCard();
  await createSsd(card, SSD_A, TEMP_KEYS_A);
  await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
  await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
  return card;
}

/** The SP-TSM's way to an applet (indirect handling): the applet selected and SSD A's session (C-MAC R-MAC unless said) on it. */
export function inApplet(card: VirtualUicc, commands: readonly CommandApdu[], options: SessionOptions & { keys?: Scp03KeySet } = {}): Promise<ScriptPart> {
  return inSession(card, SSD_A, options.keys ?? SP_KEYS_A, commands, { level: SecurityLevel.C_MAC_R_MAC, aid: JPKI_A, ...options });
}

export function sw(response: Buffer): string {
  return response.subarray(-2).toString('hex').toUpperCase();
}

export function apdu(hexApdu: string): Buffer {
  return fromHex(hexApdu);
}

/** The status word of a card refusal (a `CardStatusError`) the call ends in; 9000 when it succeeds. */
export async function swOf(pending: Promise<unknown>): Promise<number> {
  try {
    await pending;
    return Sw.OK;
  } catch (error) {
    if (!(error instanceof CardStatusError)) throw error;
    return error.sw;
  }
}

/** An opaque DER SEQUENCE standing in for the X.509 certificate (the applet does not parse it). */
export const CERTIFICATE = encodeTlv(0x30, encodeTlv(0x04, Buffer.alloc(600, 0x42)));

export const BER_TLV_PLAIN: StoreDataFlags = { structure: 'ber-tlv', encryption: 'none' };
export const BER_TLV_ENCRYPTED: StoreDataFlags = { structure: 'ber-tlv', encryption: 'application-dependent' };

/** INSTALL [for personalization] of the applet and STORE DATA in blocks. */
export function personalization(appletAid: Buffer, data: Buffer, flags: StoreDataFlags): CommandApdu[] {
  return [buildInstallForPersonalization(appletAid), ...buildStoreDataCommands(data, flags)];
}

/** SP-TSM personalization through its SSD: INSTALL [for personalization] + STORE DATA at the given level. */
export async function personalizeApplet(
  card: VirtualUicc,
  data: Buffer,
  options: { level?: number; flags?: StoreDataFlags; ssdAid?: Buffer; keys?: Scp03KeySet; appletAid?: Buffer } = {},
): Promise<void> {
  const commands = personalization(options.appletAid ?? JPKI_A, data, options.flags ?? BER_TLV_ENCRYPTED);
  await inSession(card, options.ssdAid ?? SSD_A, options.keys ?? SP_KEYS_A, commands, { level: options.level ?? SecurityLevel.C_DECRYPTION_C_MAC });
}

export async function installContentKey(card: VirtualUicc, contentKey: Buffer = CONTENT_KEY_A): Promise<void> {
  await personalizeApplet(card, buildContentKeyDo(contentKey, SP_KEYS_A.dek));
}

export function pkcs8(pair: RsaKeyPair): Buffer {
  return pair.privateKey.export({ format: 'der', type: 'pkcs8' });
}

/** Delivered-key mode: content key, sealed private key, sealed certificate. */
export async function deliverKeyAndCertificate(card: VirtualUicc, pair: RsaKeyPair): Promise<void> {
  await installContentKey(card);
  await personalizeApplet(card, buildPrivateKeyDo(pkcs8(pair), CONTENT_KEY_A, JPKI_A));
  await personalizeApplet(card, buildCertificateDo(CERTIFICATE, JPKI_A, CONTENT_KEY_A));
}

/** The handset's side (OMAPI style): plain APDUs on a logical channel of its own, 61xx followed with GET RESPONSE. */
export class HandsetChannel {
  private constructor(
    private readonly card: VirtualUicc,
    readonly logicalChannel: number,
  ) {}

  /** MANAGE CHANNEL [open] on the basic channel. */
  static open(card: VirtualUicc): HandsetChannel {
    const opened = ResponseApdu.parse(card.transmit(buildManageChannelOpen().toBytes()));
    if (!opened.isOk) throw new CardStatusError('MANAGE CHANNEL [open]', opened.sw);
    return new HandsetChannel(card, opened.data[0]);
  }

  transmit(command: CommandApdu): ResponseApdu {
    const chunks: Buffer[] = [];
    let response = this.exchange(command.with({ cla: claWithLogicalChannel(command.cla, this.logicalChannel) }));
    while (response.sw1 === 0x61) {
      chunks.push(response.data);
      response = this.exchange(buildGetResponse(this.logicalChannel, response.sw2 || 256));
    }
    return new ResponseApdu(Buffer.concat([...chunks, response.data]), response.sw);
  }

  transmitOk(operation: string, command: CommandApdu): Buffer {
    const response = this.transmit(command);
    if (!response.isOk) throw new CardStatusError(operation, response.sw);
    return response.data;
  }

  private exchange(command: CommandApdu): ResponseApdu {
    return ResponseApdu.parse(this.card.transmit(command.toBytes()));
  }
}

/** The handset: its own logical channel, SELECT of the applet, then plain APDUs. */
export function handsetChannel(card: VirtualUicc, appletAid: Buffer = JPKI_A): HandsetChannel {
  const handset = HandsetChannel.open(card);
  handset.transmitOk('SELECT', buildSelect(appletAid));
  return handset;
}
