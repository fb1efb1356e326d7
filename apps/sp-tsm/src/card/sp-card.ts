import {
  buildCertificateDo,
  buildContentKeyDo,
  buildGenerateKeyPair,
  buildPrivateKeyDo,
  buildProofOfPossession,
  buildReadPublicKey,
  CardStatusError,
  GpSession,
  JpkiAid,
  parsePublicKeyTemplate,
  readJpkiCertificate,
  Privileges,
  ResponseApdu,
  Scp03KeySet,
  SecureChannelError,
  Sw,
  type StoreDataFlags,
} from '@jpki/globalplatform';
import { StepFailure } from '@jpki/saga';
import type { OtaCardChannel } from './ota-card-channel';

const KEY_OBJECTS: StoreDataFlags = { structure: 'ber-tlv', encryption: 'application-dependent' };
const GET_STATUS_APPLICATIONS = 0x40;

/**
 * What the SP does on a SIM through its own security domain, one method per card operation.
 * Each method is safe to repeat: it looks at the card first and does only what is missing.
 */
export class SpCard {
  private readonly session: GpSession;

  constructor(
    channel: OtaCardChannel,
    private readonly securityLevel: number,
  ) {
    this.session = new GpSession(channel.transmit);
  }

  /** Opens SCP03 on the SSD; `false` when the card has no keyset with this KVN (6A88 costs no authentication try). */
  async tryOpen(ssdAid: Buffer, keys: Scp03KeySet): Promise<boolean> {
    try {
      await this.session.select(ssdAid);
      await this.session.openSecureChannel({ keys, securityLevel: this.securityLevel });
      return true;
    } catch (err) {
      if (err instanceof CardStatusError && err.sw === Sw.REFERENCED_DATA_NOT_FOUND) return false;
      return guard(() => Promise.reject(err));
    }
  }

  async open(aid: Buffer, keys: Scp03KeySet): Promise<void> {
    await guard(async () => {
      await this.session.select(aid);
      await this.session.openSecureChannel({ keys, securityLevel: this.securityLevel });
    });
  }

  /** PUT KEY replacing the temporary keyset, then proof that the SP keys authenticate. */
  async handOver(ssdAid: Buffer, temporary: Scp03KeySet, sp: Scp03KeySet): Promise<void> {
    await this.open(ssdAid, temporary);
    const answer = await guard(() => this.session.putKeys(sp, temporary.kvn));
    const kcvs = sp.kcvs();
    const expected = Buffer.concat([Buffer.from([sp.kvn]), kcvs.enc, kcvs.mac, kcvs.dek]);
    if (!answer.equals(expected)) throw new StepFailure('KCV_MISMATCH', 'the card reported other key check values', false);
    await this.open(ssdAid, sp);
  }

  async installAppletIfMissing(ssdAid: Buffer, keys: Scp03KeySet, appletAid: Buffer): Promise<'installed' | 'present'> {
    await this.open(ssdAid, keys);
    const apps = await guard(() => this.session.getStatus(GET_STATUS_APPLICATIONS));
    if (apps.some((a) => a.aid.equals(appletAid))) return 'present';
    await guard(() =>
      this.session.installAndMakeSelectable({
        loadFileAid: JpkiAid.LOAD_FILE,
        moduleAid: JpkiAid.MODULE,
        applicationAid: appletAid,
        privileges: Privileges.of(),
      }),
    );
    return 'installed';
  }

  /** DF01: the applet's end-to-end content key, under the SSD's DEK (needs C-DECRYPTION). */
  async installContentKey(ssdAid: Buffer, keys: Scp03KeySet, appletAid: Buffer, contentKey: Buffer): Promise<void> {
    await this.open(ssdAid, keys);
    await guard(() => this.session.personalize(appletAid, buildContentKeyDo(contentKey, keys.dek), KEY_OBJECTS));
  }

  /** On-card key generation (kept if a key already exists), then a proof-of-possession signer. */
  async generateKeyPair(appletAid: Buffer, keys: Scp03KeySet): Promise<Buffer> {
    await this.open(appletAid, keys);
    const existing = await this.session.transmit(buildReadPublicKey());
    if (existing.isOk) return existing.data;
    return guard(() => this.session.transmitOk('GENERATE ASYMMETRIC KEY PAIR', buildGenerateKeyPair()));
  }

  /** Signs a SHA-256 DigestInfo with the new on-card key (allowed until the certificate is written). */
  async proofOfPossession(digestInfo: Buffer): Promise<Buffer> {
    return guard(() => this.session.transmitOk('PROOF OF POSSESSION', buildProofOfPossession(digestInfo)));
  }

  async writePrivateKey(ssdAid: Buffer, keys: Scp03KeySet, appletAid: Buffer, pkcs8: Buffer, contentKey: Buffer): Promise<void> {
    await this.open(ssdAid, keys);
    await guard(() => this.session.personalize(appletAid, buildPrivateKeyDo(pkcs8, contentKey, appletAid), KEY_OBJECTS));
  }

  async writeCertificate(ssdAid: Buffer, keys: Scp03KeySet, appletAid: Buffer, certificate: Buffer, contentKey: Buffer): Promise<void> {
    await this.open(ssdAid, keys);
    await guard(() => this.session.personalize(appletAid, buildCertificateDo(certificate, appletAid, contentKey), KEY_OBJECTS));
  }

  /** The certificate the applet holds (empty if none), read as any handset could. */
  async readCertificate(appletAid: Buffer): Promise<Buffer> {
    await guard(() => this.session.select(appletAid));
    return guard(() => readJpkiCertificate((command) => this.session.transmit(command)));
  }

  async publicKeyModulus(appletAid: Buffer): Promise<Buffer | undefined> {
    await guard(() => this.session.select(appletAid));
    const response: ResponseApdu = await this.session.transmit(buildReadPublicKey());
    return response.isOk ? parsePublicKeyTemplate(response.data).modulus : undefined;
  }
}

/** Card refusals become step failures naming the operation and status word; the saga decides on retries. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CardStatusError) throw cardFailure(err.sw, err.message);
    // Wrong card cryptogram or a response whose R-MAC does not verify: someone between us and the card.
    if (err instanceof SecureChannelError) throw new StepFailure('SECURE_CHANNEL_INTEGRITY', err.message);
    throw err;
  }
}

function cardFailure(sw: number, message: string): StepFailure {
  // 6982 from a card that had accepted our session: the channel was broken (altered or replayed APDU, lost session).
  if (sw === Sw.SECURITY_STATUS_NOT_SATISFIED) return new StepFailure('SECURE_CHANNEL_REJECTED', message);
  return new StepFailure(`CARD_REJECTED_${sw.toString(16).toUpperCase().padStart(4, '0')}`, message, !PERMANENT.has(sw));
}

/** Status words that will not change on a retry of the same step. */
const PERMANENT = new Set<number>([Sw.AUTHENTICATION_METHOD_BLOCKED, Sw.NOT_ENOUGH_MEMORY, Sw.WRONG_DATA]);
