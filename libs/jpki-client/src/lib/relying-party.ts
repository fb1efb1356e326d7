import { OnlineHolderVerifier, type HolderRefusal } from '@jpki/relying-party';
import { JpkiCaDirectory } from './rp-ca-directory';

export type LoginCheck = { ok: true; serial: string; subject: string } | (HolderRefusal & { ok: false });

/**
 * What a relying party does with a phone's answer to its challenge (the shared verification of
 * `@jpki/relying-party`): the signature over the challenge, the chain to the JPKI
 * user-authentication CA, and the status by OCSP (the issuing CA's own status from the root CRL).
 * Cryptographically valid is not enough: status is checked.
 */
export class RelyingPartyVerifier {
  private readonly verifier: OnlineHolderVerifier;

  constructor(caUrl: string) {
    this.verifier = new OnlineHolderVerifier(new JpkiCaDirectory(caUrl));
  }

  async verifyLogin(challenge: Buffer, signature: Buffer, certificate: Buffer, at = new Date()): Promise<LoginCheck> {
    const result = await this.verifier.verify(challenge, signature, certificate, at);
    if (!result.ok) return result;
    return { ok: true, serial: result.holder.serial, subject: result.holder.subject };
  }
}
