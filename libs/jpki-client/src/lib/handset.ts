import {
  buildChangeReferenceData,
  buildSign,
  buildVerify,
  CardStatusError,
  CommandApdu,
  JpkiAid,
  readJpkiCertificate,
  ResponseApdu,
  sha256DigestInfo,
  Sw,
} from '@jpki/globalplatform';
import { HttpJson } from './http-json';

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

/** The phone's side of the JPKI applet: PIN handling, signature, certificate read (no secure channel). */
export class JpkiAppletClient {
  private constructor(private readonly channel: HandsetChannel) {}

  static async open(vsimUrl: string, iccid: string): Promise<JpkiAppletClient> {
    const http = new HttpJson(vsimUrl);
    const opened = await http.post<{ channel: number }>(`/sims/${iccid}/channels`, { aid: JpkiAid.DEFAULT_INSTANCE.toString('hex').toUpperCase() });
    return new JpkiAppletClient(new HandsetChannel(http, iccid, opened.channel));
  }

  close(): Promise<void> {
    return this.channel.close();
  }

  /** Tries left (VERIFY without data), or 'unset' when no PIN was chosen yet. */
  async pinStatus(): Promise<number | 'unset' | 'verified'> {
    const r = await this.channel.transmit(buildVerify());
    if (r.sw === Sw.REFERENCE_DATA_NOT_USABLE) return 'unset';
    if (r.isOk) return 'verified';
    if (r.sw1 === 0x63 && (r.sw2 & 0xf0) === 0xc0) return r.sw2 & 0x0f;
    if (r.sw === Sw.AUTHENTICATION_METHOD_BLOCKED) return 0;
    throw new CardStatusError('VERIFY', r.sw);
  }

  async setInitialPin(pin: string): Promise<void> {
    await this.ok('CHANGE REFERENCE DATA', buildChangeReferenceData(pin));
  }

  async verifyPin(pin: string): Promise<void> {
    await this.ok('VERIFY', buildVerify(pin));
  }

  /** PKCS#1 v1.5 signature over SHA-256(data); needs a verified PIN in this selection. */
  async sign(data: Buffer): Promise<Buffer> {
    return this.ok('COMPUTE DIGITAL SIGNATURE', buildSign(sha256DigestInfo(data)));
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
