import { CommandApdu } from '../apdu/command-apdu';
import { claForMac, claWithSecureMessaging } from '../apdu/cla';
import { ResponseApdu } from '../apdu/response-apdu';
import { aesCbcDecrypt, aesCbcEncrypt } from '../crypto/aes';
import { pad80, unpad80 } from '../crypto/padding';
import { SecureChannelError } from '../errors';
import {
  commandIcv,
  commandMac,
  responseIcv,
  responseMac,
  sameBytes,
  Scp03SessionKeys,
} from './scp03-crypto';
import { hasSecurity, Scp03SMode, SecurityLevel, SecurityLevelBit } from './security-level';

interface PendingResponse {
  readonly chainingValue: Buffer;
  readonly counter: number;
}

/**
 * Host-side SCP03 secure messaging after EXTERNAL AUTHENTICATE: C-ENC with the counter ICV and C-MAC chaining on
 * commands, R-MAC check and R-ENC decryption on responses. Responses are unwrapped in the order the commands were
 * wrapped, so a script can be wrapped in one go and its responses unwrapped later.
 */
export class Scp03Wrapper {
  private chainingValue: Buffer;
  private encryptionCounter = 0;
  private readonly pending: PendingResponse[] = [];

  constructor(
    private readonly keys: Scp03SessionKeys,
    readonly securityLevel: number,
    initialChainingValue: Buffer,
    /** MAC length: 8 bytes in S8 mode, 16 in S16. */
    private readonly sMode: Scp03SMode,
  ) {
    this.chainingValue = Buffer.from(initialChainingValue);
  }

  wrap(command: CommandApdu): CommandApdu {
    if (this.securityLevel === SecurityLevel.NO_SECURITY_LEVEL) {
      return command;
    }
    this.encryptionCounter += 1;
    const data = this.encryptCommandData(command.data);
    const sized = command.with({
      cla: claWithSecureMessaging(command.cla),
      data: Buffer.alloc(data.length + this.sMode),
    });
    const header = Buffer.from([claForMac(command.cla), command.ins, command.p1, command.p2]);
    this.chainingValue = commandMac(this.keys.sMac, this.chainingValue, header, sized.encodedLc(), data);
    this.pending.push({ chainingValue: this.chainingValue, counter: this.encryptionCounter });
    return sized.with({ data: Buffer.concat([data, this.chainingValue.subarray(0, this.sMode)]) });
  }

  unwrap(response: ResponseApdu): ResponseApdu {
    if (this.securityLevel === SecurityLevel.NO_SECURITY_LEVEL) {
      return response;
    }
    const context = this.pending.shift();
    if (!hasSecurity(this.securityLevel, SecurityLevelBit.R_MAC) || !response.isSuccessOrWarning) {
      return response;
    }
    if (!context) {
      throw new SecureChannelError('response without a wrapped command');
    }
    if (response.data.length < this.sMode) {
      throw new SecureChannelError('response has no R-MAC');
    }
    const body = response.data.subarray(0, -this.sMode);
    const rMac = response.data.subarray(-this.sMode);
    if (!sameBytes(rMac, responseMac(this.keys.sRmac, context.chainingValue, body, response.sw, this.sMode))) {
      throw new SecureChannelError('R-MAC mismatch');
    }
    return new ResponseApdu(this.decryptResponseData(body, context.counter), response.sw);
  }

  private encryptCommandData(data: Buffer): Buffer {
    if (!hasSecurity(this.securityLevel, SecurityLevelBit.C_DECRYPTION) || data.length === 0) {
      return data;
    }
    return aesCbcEncrypt(this.keys.sEnc, pad80(data), commandIcv(this.keys.sEnc, this.encryptionCounter));
  }

  private decryptResponseData(body: Buffer, counter: number): Buffer {
    if (!hasSecurity(this.securityLevel, SecurityLevelBit.R_ENCRYPTION) || body.length === 0) {
      return body;
    }
    try {
      return unpad80(aesCbcDecrypt(this.keys.sEnc, body, responseIcv(this.keys.sEnc, counter)));
    } catch (error) {
      throw new SecureChannelError(`R-ENC decryption failed: ${(error as Error).message}`);
    }
  }
}
