import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomInt, sign, type KeyObject } from 'node:crypto';
import {
  buildChangeReferenceData,
  buildSign,
  buildVerify,
  CardStatusError,
  CommandApdu,
  hex,
  JPKI_PIN_RULES,
  jpkiInstanceAid,
  readJpkiCertificate,
  type JpkiKeyRole,
  type JpkiPinRule,
  ResponseApdu,
  Sw,
} from '@jpki/globalplatform';
import { sha256DigestInfo } from '@jpki/pki';
import { HandsetKeystore, type HandsetKeystoreState } from './handset-keystore';
import { HttpJson } from './http-json';

const HANDSET_FILE_FORMAT = 'jpki-sim-handset/1';

/** What the simulated phone keeps on its own storage: the SIM it holds, its IMEI and its device key. Secret. */
export interface HandsetFile {
  format: typeof HANDSET_FILE_FORMAT;
  iccid: string;
  imei: string;
  /** base64 PKCS#8 of the Ed25519 device key. */
  deviceKey: string;
  /** Only a model with a biometric sensor has it (its keystore). */
  keystore?: HandsetKeystoreState;
}

/** A Luhn-valid IMEI with a simulated TAC (the first 8 digits). */
export function newImei(): string {
  const body = `35${String(randomInt(0, 1_000_000)).padStart(6, '0')}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    const digit = Number(body[i]) * (i % 2 === 1 ? 2 : 1);
    sum += digit > 9 ? digit - 9 : digit;
  }
  return body + String((10 - (sum % 10)) % 10);
}

/**
 * The phone hardware that holds the SIM: its IMEI and a device key that never leaves it. Once the SIM is put in it
 * (`insertSim`, done by the carrier or integrator provisioning the phone), the vSIM accepts handset-channel calls for
 * that SIM only when this key signs them: the ICCID, the OMAPI session, the method, path and body, a timestamp and a
 * nonce (`X-Handset-Signature`, see the vSIM's README).
 */
export class Handset {
  /** The model's biometric sensor and keystore; undefined on a model without one. */
  readonly keystore?: HandsetKeystore;

  private constructor(
    readonly iccid: string,
    readonly imei: string,
    private readonly deviceKey: KeyObject,
    private readonly keystoreState?: HandsetKeystoreState,
  ) {
    if (keystoreState) this.keystore = new HandsetKeystore(keystoreState);
  }

  /**
   * A new phone (new IMEI and device key) for the SIM `iccid`; call `insertSim` before using the SIM through it. With
   * `biometricSensor`, a model whose sensor has a set enrolled (the passcode re-enables it after a lockout).
   */
  static create(iccid: string, imei = newImei(), biometricSensor?: { passcode: string }): Handset {
    return new Handset(iccid, imei, generateKeyPairSync('ed25519').privateKey, biometricSensor && HandsetKeystore.initialState(biometricSensor.passcode));
  }

  static restore(file: HandsetFile): Handset {
    if (file.format !== HANDSET_FILE_FORMAT) throw new Error(`not a handset file (${String(file.format)})`);
    return new Handset(file.iccid, file.imei, createPrivateKey({ key: Buffer.from(file.deviceKey, 'base64'), format: 'der', type: 'pkcs8' }), file.keystore);
  }

  toFile(): HandsetFile {
    return {
      format: HANDSET_FILE_FORMAT,
      iccid: this.iccid,
      imei: this.imei,
      deviceKey: this.deviceKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      ...(this.keystoreState ? { keystore: this.keystoreState } : {}),
    };
  }

  /** base64 DER SubjectPublicKeyInfo: the only part of the device key the vSIM ever sees. */
  get devicePublicKey(): string {
    return createPublicKey(this.deviceKey).export({ format: 'der', type: 'spki' }).toString('base64');
  }

  /** The carrier or integrator puts the SIM in this phone: the vSIM binds the ICCID to this IMEI and device key. */
  async insertSim(vsimUrl: string, integratorToken: string): Promise<void> {
    await new HttpJson(vsimUrl, integratorToken).put(`/sims/${this.iccid}/handset-binding`, { imei: this.imei, devicePublicKey: this.devicePublicKey });
  }

  /** A new OMAPI session of an app on this phone: the channels it opens belong to it alone. */
  session(vsimUrl: string, session = randomBytes(12).toString('base64url')): HttpJson {
    return new HttpJson(vsimUrl, undefined, undefined, (method, path, body) => ({ 'x-handset-signature': this.signRequest(session, method, path, body) }));
  }

  /** The `X-Handset-Signature` value for one request of `session` (the same canonical form the vSIM verifies). */
  signRequest(session: string, method: string, path: string, body: string, timestamp = Date.now(), nonce = randomBytes(18).toString('base64url')): string {
    const canonical = [
      'JPKI-HANDSET-REQUEST-V1',
      this.iccid,
      this.imei,
      session,
      method.toUpperCase(),
      path.split('?')[0],
      createHash('sha256').update(body, 'utf8').digest('hex'),
      String(timestamp),
      nonce,
    ].join('\n');
    const signature = sign(null, Buffer.from(canonical, 'utf8'), this.deviceKey).toString('base64url');
    return `v1 imei=${this.imei};session=${session};ts=${timestamp};nonce=${nonce};sig=${signature}`;
  }
}

/** A logical channel the handset opened to an applet through the vSIM's OMAPI-like API. */
export class HandsetChannel {
  constructor(
    private readonly http: HttpJson,
    private readonly iccid: string,
    readonly channel: number,
  ) {}

  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    const res = await this.http.post<{ response: string }>(`/sims/${this.iccid}/channels/${this.channel}/transmit`, {
      apdu: command.toBytes().toString('hex'),
    });
    return ResponseApdu.parse(Buffer.from(res.response, 'hex'));
  }

  async close(): Promise<void> {
    await this.http.delete(`/sims/${this.iccid}/channels/${this.channel}`);
  }
}

/**
 * The phone's side of one JPKI applet instance (no secure channel): the user-authentication key with its 4-digit PIN,
 * or the signing key with its password; PIN handling, signature, certificate read.
 */
export class JpkiAppletClient {
  private constructor(
    private readonly channel: HandsetChannel,
    private readonly rule: JpkiPinRule,
  ) {}

  /** Opens a channel to the instance of `role` in a new session of the handset holding the SIM. */
  static async open(vsimUrl: string, handset: Handset, role: JpkiKeyRole = 'user-authentication'): Promise<JpkiAppletClient> {
    const http = handset.session(vsimUrl);
    const opened = await http.post<{ channel: number }>(`/sims/${handset.iccid}/channels`, { aid: hex(jpkiInstanceAid(role)) });
    return new JpkiAppletClient(new HandsetChannel(http, handset.iccid, opened.channel), JPKI_PIN_RULES[role]);
  }

  close(): Promise<void> {
    return this.channel.close();
  }

  /** Tries left (VERIFY without data), or 'unset' when no PIN was chosen yet. */
  async pinStatus(): Promise<number | 'unset' | 'verified'> {
    const r = await this.channel.transmit(buildVerify(undefined, this.rule));
    if (r.sw === Sw.REFERENCE_DATA_NOT_USABLE) return 'unset';
    if (r.isOk) return 'verified';
    if (r.sw1 === 0x63 && (r.sw2 & 0xf0) === 0xc0) return r.sw2 & 0x0f;
    if (r.sw === Sw.AUTHENTICATION_METHOD_BLOCKED) return 0;
    throw new CardStatusError('VERIFY', r.sw);
  }

  async setInitialPin(pin: string): Promise<void> {
    await this.ok('CHANGE REFERENCE DATA', buildChangeReferenceData(pin, undefined, this.rule));
  }

  async verifyPin(pin: string): Promise<void> {
    await this.ok('VERIFY', buildVerify(pin, this.rule));
  }

  /** PKCS#1 v1.5 signature over SHA-256(data); needs a verified PIN in this selection. */
  async sign(data: Buffer): Promise<Buffer> {
    return this.signDigestInfo(sha256DigestInfo(data));
  }

  async signDigestInfo(digestInfo: Buffer): Promise<Buffer> {
    return this.ok('COMPUTE DIGITAL SIGNATURE', buildSign(digestInfo));
  }

  async readCertificate(): Promise<Buffer> {
    return readJpkiCertificate((command) => this.channel.transmit(command));
  }

  private async ok(operation: string, command: CommandApdu): Promise<Buffer> {
    const r = await this.channel.transmit(command);
    if (!r.isOk) throw new CardStatusError(operation, r.sw);
    return r.data;
  }
}
