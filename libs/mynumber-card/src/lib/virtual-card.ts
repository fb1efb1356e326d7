/**
 * The "card chip" of a virtual My Number card (SIMULATION): verifies the signing password and the
 * user-authentication PIN against persistent retry counters, signs applications (CMS SignedData) with the
 * signing key and DigestInfos with the user-authentication key, and refuses everything once blocked.
 *
 * Like a real card, a try is used *before* the credential is checked, and that state is persisted first
 * (pass `persist`), so pulling the plug during a check never gives a free try.
 */
import { constants, createPrivateKey, createPublicKey, privateEncrypt, type KeyObject } from 'node:crypto';
import { createDigestInfoSigner, sha256DigestInfo, signCms, SoftwareRsaSigner, type SignCmsOptions, type Signer } from '@jpki/pki';
import { parseCardFile, slotKey, wrappedKeyAad, type CardFile, type CardSlotState } from './card-file';
import { CREDENTIAL_RULES, credentialFormatProblem, type CardSlot } from './credentials';
import { CardError, CardStatusWord } from './errors';
import { unwrapKey, wrapKey, type ScryptParameters } from './key-wrap';

export interface VirtualCardOptions {
  /** Called with the new file after every change of the counters or keys; awaited before the operation goes on. */
  readonly persist?: (file: CardFile) => Promise<void> | void;
}

export interface SlotStatus {
  readonly maxTries: number;
  readonly triesRemaining: number;
  readonly blocked: boolean;
}

export type VerifyOutcome =
  | { readonly ok: true; readonly statusWord: '9000'; readonly triesRemaining: number }
  | {
      readonly ok: false;
      readonly reason: 'WRONG_CREDENTIAL' | 'BLOCKED' | 'CREDENTIAL_FORMAT_INVALID';
      readonly statusWord: string;
      readonly triesRemaining: number;
      readonly blocked: boolean;
      readonly message: string;
    };

export class VirtualMyNumberCard {
  private file: CardFile;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    file: CardFile,
    private readonly options: VirtualCardOptions,
  ) {
    this.file = file;
  }

  /** Opens a card file (object or JSON text); throws CardError CARD_FILE_INVALID. */
  static open(file: unknown, options: VirtualCardOptions = {}): VirtualMyNumberCard {
    return new VirtualMyNumberCard(structuredClone(parseCardFile(file)), options);
  }

  get cardId(): string {
    return this.file.cardId;
  }

  get personId(): string {
    return this.file.personId;
  }

  get revision(): number {
    return this.file.revision;
  }

  /** A copy of the current state: store it after every operation (or pass `persist`). */
  toFile(): CardFile {
    return structuredClone(this.file);
  }

  certificate(slot: CardSlot): Buffer {
    return Buffer.from(this.slot(slot).certificate, 'base64');
  }

  caCertificates(): { root: Buffer; digitalSignature: Buffer; userAuthentication: Buffer } {
    const ca = this.file.caCertificates;
    return {
      root: Buffer.from(ca.root, 'base64'),
      digitalSignature: Buffer.from(ca.digitalSignature, 'base64'),
      userAuthentication: Buffer.from(ca.userAuthentication, 'base64'),
    };
  }

  status(slot: CardSlot): SlotStatus {
    const state = this.slot(slot);
    return { maxTries: state.maxTries, triesRemaining: state.triesRemaining, blocked: state.triesRemaining === 0 };
  }

  /** VERIFY: checks the password/PIN, counting a wrong one. Never throws for a wrong or blocked credential. */
  async verify(slot: CardSlot, credential: string): Promise<VerifyOutcome> {
    try {
      await this.unlock(slot, credential);
      return { ok: true, statusWord: CardStatusWord.ok, triesRemaining: this.slot(slot).triesRemaining };
    } catch (error) {
      if (!(error instanceof CardError) || error.reason === 'CARD_FILE_INVALID' || error.reason === 'DATA_INVALID') throw error;
      const triesRemaining = this.slot(slot).triesRemaining;
      return {
        ok: false,
        reason: error.reason,
        statusWord: error.statusWord ?? CardStatusWord.wrongData,
        triesRemaining,
        blocked: triesRemaining === 0,
        message: error.message,
      };
    }
  }

  /**
   * Signs an application (e.g. the phone-enrollment JSON) with the card signing key: CMS SignedData with the
   * content attached, SHA-256, the signing certificate embedded. Throws CardError on a wrong/blocked password.
   */
  async signApplication(signingPassword: string, content: Buffer, options: SignCmsOptions = {}): Promise<Buffer> {
    const key = await this.unlock('signing', signingPassword);
    return signCms(content, this.certificate('signing'), new SoftwareRsaSigner(key), options);
  }

  /**
   * The user-authentication key's raw operation, as the JPKI applet's COMPUTE DIGITAL SIGNATURE: PKCS#1 v1.5
   * type-1 padding of the given DER DigestInfo, then RSA. Throws CardError on a wrong/blocked PIN.
   */
  async signDigestInfo(userAuthenticationPin: string, digestInfo: Buffer): Promise<Buffer> {
    if (digestInfo.length === 0 || digestInfo[0] !== 0x30) throw new CardError('DATA_INVALID', 'a DER DigestInfo (SEQUENCE) is expected', CardStatusWord.wrongData);
    const key = await this.unlock('user-authentication', userAuthenticationPin);
    const maxLength = Math.floor((key.asymmetricKeyDetails?.modulusLength ?? 2048) / 8) - 11;
    if (digestInfo.length > maxLength) throw new CardError('DATA_INVALID', `DigestInfo longer than ${maxLength} bytes`, CardStatusWord.wrongData);
    return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
  }

  /** Signs `challenge` for user authentication (SHA-256 DigestInfo, RSASSA-PKCS1-v1_5). */
  signChallenge(userAuthenticationPin: string, challenge: Buffer): Promise<Buffer> {
    return this.signDigestInfo(userAuthenticationPin, sha256DigestInfo(challenge));
  }

  /**
   * A pki `Signer` over the user-authentication key after one PIN verification (the card's "PIN verified"
   * security state), e.g. to sign a CSR or a login challenge with several operations.
   */
  async userAuthenticationSigner(userAuthenticationPin: string): Promise<Signer> {
    const key = await this.unlock('user-authentication', userAuthenticationPin);
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    return createDigestInfoSigner(spki, async (digestInfo) => privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo));
  }

  /** CHANGE REFERENCE DATA: the current credential is checked (and counted) like VERIFY. */
  async changeCredential(slot: CardSlot, current: string, next: string, kdf?: ScryptParameters): Promise<void> {
    const problem = credentialFormatProblem(slot, next);
    if (problem) throw new CardError('CREDENTIAL_FORMAT_INVALID', problem, CardStatusWord.wrongData, slot);
    const key = await this.unlock(slot, current);
    await this.exclusive(async () => {
      const state = this.slot(slot);
      const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
      const wrappedKey = await wrapKey(pkcs8, next, wrappedKeyAad(this.file.cardId, slot, state.certificate), kdf ?? state.wrappedKey);
      pkcs8.fill(0);
      this.replaceSlot(slot, { ...state, wrappedKey });
      await this.commit();
    });
  }

  private slot(slot: CardSlot): CardSlotState {
    return this.file[slotKey(slot)];
  }

  private replaceSlot(slot: CardSlot, state: CardSlotState): void {
    this.file = { ...this.file, [slotKey(slot)]: state };
  }

  private async commit(): Promise<void> {
    this.file = { ...this.file, revision: this.file.revision + 1 };
    await this.options.persist?.(this.toFile());
  }

  /** One card operation at a time, as on a real card. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Uses a try, checks the credential by unwrapping the key, resets the counter on success. */
  private unlock(slot: CardSlot, credential: string): Promise<KeyObject> {
    return this.exclusive(async () => {
      const problem = credentialFormatProblem(slot, credential);
      if (problem) throw new CardError('CREDENTIAL_FORMAT_INVALID', problem, CardStatusWord.wrongData, slot, this.slot(slot).triesRemaining);
      const state = this.slot(slot);
      if (state.triesRemaining <= 0) throw new CardError('BLOCKED', `${CREDENTIAL_RULES[slot].name} is blocked`, CardStatusWord.blocked, slot, 0);
      this.replaceSlot(slot, { ...state, triesRemaining: state.triesRemaining - 1 });
      await this.commit();
      const pkcs8 = await unwrapKey(state.wrappedKey, credential, wrappedKeyAad(this.file.cardId, slot, state.certificate));
      if (!pkcs8) {
        const left = state.triesRemaining - 1;
        throw new CardError('WRONG_CREDENTIAL', `wrong ${CREDENTIAL_RULES[slot].name}; ${left} tries left`, CardStatusWord.wrongCredential(left), slot, left);
      }
      this.replaceSlot(slot, { ...this.slot(slot), triesRemaining: state.maxTries });
      await this.commit();
      const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      pkcs8.fill(0);
      return key;
    });
  }
}
