import { CARRIERS } from '@jpki/contracts';
import { loadPlatformContext, type OperatorGrant, type PlatformEndpoints } from '@jpki/jpki-client';

export interface CommonOptions {
  context?: string;
  json?: boolean;
}

/** What the device CLI does with a token: citizens at the CA, subscribers at the MNO-TSMs, SIMs into phones at the vsim. */
const INTEGRATOR: OperatorGrant = { sub: 'device-cli', roles: 'integrator', audience: ['jpki-ca', 'vsim', ...CARRIERS.map((c) => `mno-tsm-${c}`)] };

export function endpoints(o: CommonOptions): PlatformEndpoints {
  return loadPlatformContext({ file: o.context }).endpoints();
}

/** The context's token (on the local platform, minted as an integrator when none is given). */
export function operatorToken(o: CommonOptions): string {
  return loadPlatformContext({ file: o.context }).operatorToken(INTEGRATOR);
}
