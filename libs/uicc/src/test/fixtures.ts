import { generateKeyPairSync } from 'node:crypto';
import {
  buildCertificateDo,
  buildContentKeyDo,
  buildInstallParameters,
  buildPrivateKeyDo,
  encodeTlv,
  fromHex,
  GpSession,
  JpkiAid,
  jpkiInstallParameters,
  type JpkiKeyRole,
  Privilege,
  Privileges,
  Scp03KeySet,
  SecurityLevel,
  StoreDataFlags,
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

export function connect(card: VirtualUicc, logicalChannel = 0): GpSession {
  return new GpSession(async (apdu) => card.transmit(apdu), logicalChannel);
}

export async function secureSession(
  card: VirtualUicc,
  aid: Buffer,
  keysets: Scp03KeySet,
  securityLevel: number = SecurityLevel.C_DECRYPTION_C_MAC,
): Promise<GpSession> {
  const session = connect(card);
  await session.select(aid);
  await session.openSecureChannel({ keys: keysets, securityLevel });
  return session;
}

export const SSD_PRIVILEGES = Privileges.of(Privilege.SecurityDomain, Privilege.AuthorizedManagement);
export const SSD_PARAMETERS = buildInstallParameters({ securityDomain: { scpId: 0x03, i: 0x70 } });

/** MNO-TSM: INSTALL [for install and make selectable] of the SSD, then its temporary keyset via the ISD. */
export async function createSsd(card: VirtualUicc, ssdAid: Buffer, tempKeys: Scp03KeySet, installParameters = SSD_PARAMETERS): Promise<void> {
  const isd = await secureSession(card, ISD_AID, MNO_ISD_KEYS);
  await isd.installAndMakeSelectable({
    loadFileAid: SecurityDomainPackage.LOAD_FILE,
    moduleAid: SecurityDomainPackage.MODULE,
    applicationAid: ssdAid,
    privileges: SSD_PRIVILEGES,
    installParameters,
  });
  await isd.personalizeKeySet(ssdAid, tempKeys);
}

/** SP-TSM: replace the temporary keyset with its own (key handover). */
export async function handOver(card: VirtualUicc, ssdAid: Buffer, tempKeys: Scp03KeySet, spKeys: Scp03KeySet): Promise<void> {
  const ssd = await secureSession(card, ssdAid, tempKeys);
  await ssd.putKeys(spKeys, tempKeys.kvn);
}

export async function installJpki(card: VirtualUicc, ssdAid: Buffer, spKeys: Scp03KeySet, instanceAid: Buffer, role: JpkiKeyRole = 'user-authentication'): Promise<void> {
  const ssd = await secureSession(card, ssdAid, spKeys);
  await ssd.installAndMakeSelectable({
    loadFileAid: JpkiAid.LOAD_FILE,
    moduleAid: JpkiAid.MODULE,
    applicationAid: instanceAid,
    privileges: Privileges.of(),
    installParameters: jpkiInstallParameters(role),
  });
}

/** A card with SP A's SSD handed over and a JPKI instance installed in it. */
export async function provisionedCard(): Promise<VirtualUicc> {
  const card = newCard();
  await createSsd(card, SSD_A, TEMP_KEYS_A);
  await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
  await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
  return card;
}

/** The applet selected and the SSD's secure channel opened on it (indirect handling), as the SP-TSM does over OTA. */
export async function appletSession(
  card: VirtualUicc,
  appletAid: Buffer = JPKI_A,
  spKeys: Scp03KeySet = SP_KEYS_A,
  securityLevel: number = SecurityLevel.C_MAC_R_MAC,
): Promise<GpSession> {
  return secureSession(card, appletAid, spKeys, securityLevel);
}

export function sw(response: Buffer): string {
  return response.subarray(-2).toString('hex').toUpperCase();
}

export function apdu(hexApdu: string): Buffer {
  return fromHex(hexApdu);
}

/** The SW of a GpSession call that is expected to fail. */
export async function swOf(pending: Promise<unknown>): Promise<number> {
  try {
    await pending;
    return 0x9000;
  } catch (error) {
    const value = (error as { sw?: number }).sw;
    if (value === undefined) {
      throw error;
    }
    return value;
  }
}

/** An opaque DER SEQUENCE standing in for the X.509 certificate (the applet does not parse it). */
export const CERTIFICATE = encodeTlv(0x30, encodeTlv(0x04, Buffer.alloc(600, 0x42)));

export const BER_TLV_PLAIN: StoreDataFlags = { structure: 'ber-tlv', encryption: 'none' };
export const BER_TLV_ENCRYPTED: StoreDataFlags = { structure: 'ber-tlv', encryption: 'application-dependent' };

/** SP-TSM personalization through its SSD: INSTALL [for personalization] + STORE DATA at the given level. */
export async function personalizeApplet(
  card: VirtualUicc,
  data: Buffer,
  options: { level?: number; flags?: StoreDataFlags; ssdAid?: Buffer; keys?: Scp03KeySet; appletAid?: Buffer } = {},
): Promise<void> {
  const ssd = await secureSession(card, options.ssdAid ?? SSD_A, options.keys ?? SP_KEYS_A, options.level ?? SecurityLevel.C_DECRYPTION_C_MAC);
  await ssd.personalize(options.appletAid ?? JPKI_A, data, options.flags ?? BER_TLV_ENCRYPTED);
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

/** The handset: its own logical channel, SELECT of the applet, then plain APDUs (OMAPI style). */
export async function handsetChannel(card: VirtualUicc, appletAid: Buffer = JPKI_A): Promise<GpSession> {
  const handset = await GpSession.openLogicalChannel(async (command) => card.transmit(command));
  await handset.select(appletAid);
  return handset;
}
