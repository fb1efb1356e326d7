import {
  buildCertificateDo,
  buildContentKeyDo,
  buildGenerateKeyPair,
  buildGetStatus,
  buildInstallForInstall,
  buildInstallForPersonalization,
  buildPrivateKeyDo,
  buildProofOfPossession,
  buildPutKey,
  buildReadCertificate,
  buildReadPublicKey,
  buildSelect,
  buildStoreDataCommands,
  CardStatusError,
  CommandApdu,
  derElementLength,
  GpSession,
  JpkiAid,
  parseGetStatusResponse,
  Privileges,
  ResponseApdu,
  Scp03KeySet,
  secureBlockSize,
  SecureChannelError,
  type Scp03SMode,
  Sw,
  type StoreDataFlags,
} from '@jpki/globalplatform';
import { StepFailure } from '@jpki/saga';
import type { OtaCardChannel } from './ota-card-channel';

const KEY_OBJECTS: StoreDataFlags = { structure: 'ber-tlv', encryption: 'application-dependent' };
const GET_STATUS_APPLICATIONS = 0x40;
/** READ BINARY blocks sent at once: enough for a 2 KiB certificate in one round trip. */
const CERTIFICATE_READ_BLOCKS = 9;

/** How the SP reaches its SSD on one SIM: its security level, and the carrier's S8/S16 mode and largest APDU data field. */
export interface SsdChannel {
  readonly securityLevel: number;
  readonly sMode: Scp03SMode;
  readonly maxApduDataBytes: number;
}

const SHORT_APDU_DATA = 255;

/** The SSD path as the carrier described it at eligibility; S8 and short APDUs where it said nothing (older records). */
export function ssdChannel(securityLevel: number, carrierSaid: { scp03SMode?: Scp03SMode; maxApduDataBytes?: number }): SsdChannel {
  return { securityLevel, sMode: carrierSaid.scp03SMode ?? 8, maxApduDataBytes: carrierSaid.maxApduDataBytes ?? SHORT_APDU_DATA };
}

/**
 * What the SP does on a SIM through its own security domain, one method per card operation.
 * Each operation costs two OTA round trips (SELECT + INITIALIZE UPDATE, then EXTERNAL
 * AUTHENTICATE + the wrapped commands). Each method is safe to repeat: it looks at the card first
 * and does only what is missing.
 */
export class SpCard {
  private readonly session: GpSession;

  constructor(
    private readonly channel: OtaCardChannel,
    private readonly ssd: SsdChannel,
  ) {
    this.session = new GpSession(channel.transmit);
  }

  /** Opens SCP03 on the SSD; `false` when the card has no keyset with this KVN (6A88 costs no authentication try). */
  async tryOpen(ssdAid: Buffer, keys: Scp03KeySet): Promise<boolean> {
    try {
      await this.session.runSecureScript(this.script, ssdAid, this.secureChannel(keys), []);
      return true;
    } catch (err) {
      if (err instanceof CardStatusError && err.sw === Sw.REFERENCED_DATA_NOT_FOUND) return false;
      return guard(() => Promise.reject(err));
    }
  }

  /** PUT KEY replacing the temporary keyset, then proof that the SP keys authenticate. */
  async handOver(ssdAid: Buffer, temporary: Scp03KeySet, sp: Scp03KeySet): Promise<void> {
    const [answer] = await this.run(ssdAid, temporary, [buildPutKey(sp, temporary.dek, temporary.kvn)]);
    const kcvs = sp.kcvs();
    const expected = Buffer.concat([Buffer.from([sp.kvn]), kcvs.enc, kcvs.mac, kcvs.dek]);
    if (!answer.equals(expected)) throw new StepFailure('KCV_MISMATCH', 'the card reported other key check values', false);
    await this.run(ssdAid, sp, []);
  }

  async installAppletIfMissing(ssdAid: Buffer, keys: Scp03KeySet, appletAid: Buffer): Promise<'installed' | 'present'> {
    const [status] = await this.run(ssdAid, keys, [buildGetStatus(GET_STATUS_APPLICATIONS)], [Sw.REFERENCED_DATA_NOT_FOUND]);
    if (parseGetStatusResponse(status, GET_STATUS_APPLICATIONS).some((a) => a.aid.equals(appletAid))) return 'present';
    await guard(() =>
      this.session.transmitOk(
        'INSTALL [for install and make selectable]',
        buildInstallForInstall({ loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: appletAid, privileges: Privileges.of() }, true),
      ),
    );
    return 'installed';
  }

  /** DF01: the applet's end-to-end content key, under the SSD's DEK (needs C-DECRYPTION). */
  async installContentKey(ssdAid: Buffer, keys: Scp03KeySet, appletAid: Buffer, contentKey: Buffer): Promise<void> {
    await this.run(ssdAid, keys, this.personalization(appletAid, buildContentKeyDo(contentKey, keys.dek)));
  }

  /** On-card key generation (an existing key is kept); returns the 7F49 public key template. */
  async generateKeyPair(appletAid: Buffer, keys: Scp03KeySet): Promise<Buffer> {
    await this.run(appletAid, keys, []);
    const existing = await guard(() => this.session.transmit(buildReadPublicKey()));
    if (existing.isOk) return existing.data;
    return guard(() => this.session.transmitOk('GENERATE ASYMMETRIC KEY PAIR', buildGenerateKeyPair()));
  }

  /** Signs a SHA-256 DigestInfo with the new on-card key (allowed until the certificate is written). */
  proofOfPossession(digestInfo: Buffer): Promise<Buffer> {
    return guard(() => this.session.transmitOk('PROOF OF POSSESSION', buildProofOfPossession(digestInfo)));
  }

  /** DF02 (delivered key, sealed) and/or DF03 (certificate, sealed) in one personalization script. */
  async writeKeyAndCertificate(ssdAid: Buffer, keys: Scp03KeySet, appletAid: Buffer, contentKey: Buffer, certificate: Buffer, pkcs8?: Buffer): Promise<void> {
    const objects = [
      ...(pkcs8 ? [buildPrivateKeyDo(pkcs8, contentKey, appletAid)] : []),
      buildCertificateDo(certificate, appletAid, contentKey),
    ];
    await this.run(ssdAid, keys, this.personalization(appletAid, Buffer.concat(objects)));
  }

  /** The certificate the applet holds (empty if none), read as any handset could, in one round trip. */
  async readCertificate(appletAid: Buffer): Promise<Buffer> {
    const reads = Array.from({ length: CERTIFICATE_READ_BLOCKS }, (_, i) => buildReadCertificate(i * 256, 256));
    const [select, ...responses] = (await this.channel.script([buildSelect(appletAid), ...reads].map((c) => c.toBytes()))).map((r) =>
      ResponseApdu.parse(r),
    );
    if (!select?.isOk) throw cardFailure(select?.sw ?? Sw.NO_PRECISE_DIAGNOSIS, 'SELECT of the applet failed');
    const data = Buffer.concat(responses.filter((r) => r.isOk).map((r) => r.data));
    return data.length === 0 ? data : data.subarray(0, derElementLength(data));
  }

  private readonly script = (apdus: Buffer[]) => this.channel.script(apdus);

  private secureChannel(keys: Scp03KeySet) {
    return { keys, securityLevel: this.ssd.securityLevel, sMode: this.ssd.sMode };
  }

  /** INSTALL [for personalization] and STORE DATA blocks small enough for the carrier's APDU size once wrapped. */
  private personalization(appletAid: Buffer, data: Buffer): CommandApdu[] {
    const blockSize = secureBlockSize(this.ssd.maxApduDataBytes, this.ssd.sMode);
    return [buildInstallForPersonalization(appletAid), ...buildStoreDataCommands(data, KEY_OBJECTS, blockSize)];
  }

  /** Opens the secure channel and runs the commands; `tolerated` SWs of the last command count as success. */
  private run(aid: Buffer, keys: Scp03KeySet, commands: CommandApdu[], tolerated: number[] = []): Promise<Buffer[]> {
    return guard(async () => {
      try {
        return await this.session.runSecureScript(this.script, aid, this.secureChannel(keys), commands);
      } catch (err) {
        if (err instanceof CardStatusError && tolerated.includes(err.sw)) return [Buffer.alloc(0)];
        throw err;
      }
    });
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
