import {
  buildCertificateDo,
  buildContentKeyDo,
  buildGenerateKeyPair,
  buildInstallForInstall,
  buildInstallForPersonalization,
  buildPrivateKeyDo,
  buildProofOfPossession,
  buildPutKey,
  buildReadCertificate,
  buildSelect,
  buildStoreDataCommands,
  CardStatusError,
  CommandApdu,
  derElementLength,
  GpSession,
  JpkiAid,
  jpkiInstallParameters,
  type JpkiKeyRole,
  Privileges,
  ResponseApdu,
  Scp03KeySet,
  secureBlockSize,
  SecureChannelError,
  Sw,
  type CardScript,
  type PlanSession,
  type Scp03SMode,
  type ScriptPart,
  type StoreDataFlags,
} from '@jpki/globalplatform';
import { StepFailure } from '@jpki/saga';
import type { SequenceCounters } from '../keys/keyset-vault';
import type { OtaCardChannel } from './ota-card-channel';

const KEY_OBJECTS: StoreDataFlags = { structure: 'ber-tlv', encryption: 'application-dependent' };
const READ_BLOCK = 256;
/** READ BINARY blocks sent at once when the length is not known: enough for a 2 KiB certificate in one round trip. */
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
 * What the SP does on a SIM through its own security domain, one method per card operation, each
 * one OTA script: the SP knows the sequence counter of its keysets (it is the only one using them),
 * so it computes the card's pseudo-random challenge ahead and sends INITIALIZE UPDATE, EXTERNAL
 * AUTHENTICATE and the wrapped commands together. A counter it does not know (a lost answer) costs
 * one INITIALIZE UPDATE to learn. Each method is safe to repeat.
 */
export class SpCard {
  constructor(
    private readonly channel: OtaCardChannel,
    private readonly ssdAid: Buffer,
    private readonly ssd: SsdChannel,
    private readonly counters: SequenceCounters,
  ) {}

  /** Whether the card holds this keyset (its cryptogram proves it); 6A88 (no such KVN) costs no authentication try. */
  async holds(keys: Scp03KeySet): Promise<boolean> {
    try {
      await this.session(keys).authenticateCard();
      return true;
    } catch (err) {
      if (err instanceof CardStatusError && err.sw === Sw.REFERENCED_DATA_NOT_FOUND) return false;
      return guard(() => Promise.reject(err));
    }
  }

  /** PUT KEY replacing the temporary keyset; the card's key check values must be those of the SP keys. */
  async handOver(temporary: Scp03KeySet, sp: Scp03KeySet): Promise<void> {
    const [answer] = await this.perform(temporary, (script, session) => {
      script.select(this.ssdAid);
      return session(this.ssdAid, [buildPutKey(sp, temporary.dek, temporary.kvn)]);
    });
    const kcvs = sp.kcvs();
    const expected = Buffer.concat([Buffer.from([sp.kvn]), kcvs.enc, kcvs.mac, kcvs.dek]);
    if (!answer.equals(expected)) throw new StepFailure('KCV_MISMATCH', 'the card reported other key check values', false);
  }

  /**
   * The applet instance of one key role, its content key (DF01, under the SSD's DEK, needs C-DECRYPTION) and, for
   * on-card keys, its key pair (returns the 7F49 public key template): one script. An instance left by an earlier
   * attempt is kept.
   */
  async installApplet(keys: Scp03KeySet, role: JpkiKeyRole, appletAid: Buffer, contentKey: Buffer, generateKeyPair: boolean): Promise<Buffer | undefined> {
    const install = buildInstallForInstall(
      { loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: appletAid, privileges: Privileges.of(), installParameters: jpkiInstallParameters(role) },
      true,
    );
    const plan = (withInstall: boolean) => (script: CardScript, session: PlanSession) => {
      const personalization = this.personalization(appletAid, buildContentKeyDo(contentKey, keys.dek));
      script.select(this.ssdAid);
      session(this.ssdAid, withInstall ? [install, ...personalization] : personalization);
      if (!generateKeyPair) return { data: [], sws: [] };
      script.select(appletAid);
      return session(appletAid, [buildGenerateKeyPair()], true);
    };
    try {
      return (await this.perform(keys, plan(true)))[0];
    } catch (err) {
      // 6A80 to INSTALL: the instance exists (the answer to an earlier attempt was lost).
      if (!(err instanceof StepFailure && err.reason === 'CARD_REJECTED_6A80')) throw err;
      return (await this.perform(keys, plan(false)))[0];
    }
  }

  /** Signs a SHA-256 DigestInfo with the new on-card key (allowed until the certificate is written). */
  async proofOfPossession(keys: Scp03KeySet, appletAid: Buffer, digestInfo: Buffer): Promise<Buffer> {
    const [signature] = await this.perform(keys, (script, session) => {
      script.select(appletAid);
      return session(appletAid, [buildProofOfPossession(digestInfo)], true);
    });
    return signature;
  }

  /**
   * DF02 (delivered key, sealed) and/or DF03 (certificate, sealed), then the certificate read back as a handset reads
   * it, in one script. A refused write is fine when the applet already holds this certificate (an earlier attempt).
   */
  async writeKeyAndCertificate(keys: Scp03KeySet, appletAid: Buffer, contentKey: Buffer, certificate: Buffer, pkcs8?: Buffer): Promise<void> {
    const objects = [...(pkcs8 ? [buildPrivateKeyDo(pkcs8, contentKey, appletAid)] : []), buildCertificateDo(certificate, appletAid, contentKey)];
    const blocks = Math.ceil(certificate.length / READ_BLOCK);
    let held: Buffer;
    try {
      const read = await this.perform(keys, (script, session) => {
        script.select(this.ssdAid);
        session(this.ssdAid, this.personalization(appletAid, Buffer.concat(objects)));
        script.select(appletAid);
        return script.plain(Array.from({ length: blocks }, (_, i) => buildReadCertificate(i * READ_BLOCK, READ_BLOCK)));
      });
      held = Buffer.concat(read);
    } catch (err) {
      if (!(await this.readCertificate(appletAid)).equals(certificate)) throw err;
      return;
    }
    if (!held.equals(certificate)) throw new StepFailure('CERTIFICATE_NOT_ON_CARD', 'the applet does not hold the written certificate');
  }

  /** The certificate the applet holds (empty if none), read as any handset could, in one round trip. */
  async readCertificate(appletAid: Buffer): Promise<Buffer> {
    const reads = Array.from({ length: CERTIFICATE_READ_BLOCKS }, (_, i) => buildReadCertificate(i * READ_BLOCK, READ_BLOCK));
    const [select, ...responses] = (await this.channel.script([buildSelect(appletAid), ...reads].map((c) => c.toBytes()))).map((r) =>
      ResponseApdu.parse(r),
    );
    if (!select?.isOk) throw cardFailure(select?.sw ?? Sw.NO_PRECISE_DIAGNOSIS, 'SELECT of the applet failed');
    const data = Buffer.concat(responses.filter((r) => r.isOk).map((r) => r.data));
    return data.length === 0 ? data : data.subarray(0, derElementLength(data));
  }

  /** One script with this keyset (see `GpSession`); card refusals become step failures. */
  private perform(keys: Scp03KeySet, plan: (script: CardScript, session: PlanSession) => ScriptPart): Promise<Buffer[]> {
    return guard(async () => (await this.session(keys).run(plan)).data);
  }

  private session(keys: Scp03KeySet): GpSession {
    return new GpSession(this.channel.script, this.ssdAid, keys, this.ssd, this.counters(keys.kvn));
  }

  /** INSTALL [for personalization] and STORE DATA blocks small enough for the carrier's APDU size once wrapped. */
  private personalization(appletAid: Buffer, data: Buffer): CommandApdu[] {
    const blockSize = secureBlockSize(this.ssd.maxApduDataBytes, this.ssd.sMode);
    return [buildInstallForPersonalization(appletAid), ...buildStoreDataCommands(data, KEY_OBJECTS, blockSize)];
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
