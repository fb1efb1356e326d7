import type { RsaKeyPairFactory } from '@jpki/uicc';
import type { LossDraw, Sleep } from './bearer/ota-bearer';

/**
 * Process-level hooks the service takes from its host rather than from the environment: tests inject a pool of
 * RSA key pairs (on-card generation stays fast), deterministic bearer draws and a sleep that does not wait.
 */
export interface VsimRuntime {
  readonly keyPairFactory?: RsaKeyPairFactory;
  readonly lossDraw?: LossDraw;
  readonly sleep?: Sleep;
}

export const VSIM_RUNTIME = Symbol('VSIM_RUNTIME');
