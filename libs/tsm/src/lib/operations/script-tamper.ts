import { Inject, Injectable } from '@nestjs/common';
import { claHasSecureMessaging, Ins } from '@jpki/globalplatform';
import { createLogger } from '@jpki/observability';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';

/**
 * The misbehaving-TSM switch for security tests (`tampering`; the MNO-TSM's `MNO_SCRIPT_TAMPERING`, refused in production).
 * It touches the SP's secure-messaging APDUs (CLA with the SM bit, EXTERNAL AUTHENTICATE excepted,
 * so the SP's session opens and the first protected command is the one hit):
 * - `alter` flips one bit of the first such APDU of each script (its C-MAC no longer verifies);
 * - `replay` sends, in place of such an APDU, the previous one forwarded for this card (the MAC
 *   chain and the C-ENC counter have moved on).
 * The card must refuse (6982, session aborted) and the SP-TSM sees it in the forwarded response.
 */
@Injectable()
export class ScriptTamper {
  private readonly log = createLogger('script-tamper');
  private readonly previous = new Map<string, string>();

  constructor(@Inject(TSM_SETTINGS) private readonly settings: TsmSettings) {}

  apply(iccid: string, apdus: string[]): string[] {
    const mode = this.settings.tampering;
    if (mode === 'none') return apdus;
    let altered = false;
    const out = apdus.map((text) => {
      const bytes = Buffer.from(text, 'hex');
      if (bytes.length < 5 || !claHasSecureMessaging(bytes[0]) || bytes[1] === Ins.EXTERNAL_AUTHENTICATE) return text;
      if (mode === 'alter') {
        if (altered) return text;
        altered = true;
        bytes[bytes.length > 5 ? 5 : bytes.length - 1] ^= 0x01;
        this.log.warn({ iccid, mode }, 'TAMPERING: altered a forwarded SP APDU (security test switch)');
        return bytes.toString('hex').toUpperCase();
      }
      const last = this.previous.get(iccid);
      this.previous.set(iccid, text);
      if (!last) return text;
      this.log.warn({ iccid, mode }, 'TAMPERING: replayed a previous SP APDU (security test switch)');
      return last;
    });
    return out;
  }
}
