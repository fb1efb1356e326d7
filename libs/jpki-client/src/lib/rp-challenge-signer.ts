import type { PlatformEndpoints } from './endpoints';
import type { Handset } from './handset';
import { JpkiUiApp } from './jpki-ui-app';

/** A holder's answer to a relying party's challenge: the signature and the certificate of the signing key. */
export interface ChallengeAnswer {
  signature: Buffer;
  certificate: Buffer;
}

/**
 * Whatever signs a relying party's challenge with the phone's user-authentication key: the SIM applet
 * after the PIN (`simChallengeSigner`) or the iPhone key after biometrics. The relying-party clients
 * take this function, so one client serves both device kinds.
 */
export type ChallengeSigner = (challenge: Buffer) => Promise<ChallengeAnswer>;

/**
 * The JPKI-UI app answering with the SIM applet: VERIFY PIN, COMPUTE DIGITAL SIGNATURE, read the certificate.
 * One request at a time, as on the phone (the handset has few logical channels to the SIM).
 */
export function simChallengeSigner(endpoints: PlatformEndpoints, handset: Handset, pin: string): ChallengeSigner {
  const app = new JpkiUiApp(endpoints);
  let queue: Promise<unknown> = Promise.resolve();
  return (challenge) => {
    const answer = queue.then(() => app.signChallenge(handset, pin, challenge));
    queue = answer.catch(() => undefined);
    return answer;
  };
}
