import type { StepPolicy } from '@jpki/saga';

/** Nest injection token of the `TsmSettings`. */
export const TSM_SETTINGS = Symbol('TSM_SETTINGS');

/** What the shared TSM code needs of its deployment. */
export interface TsmSettings {
  /** Who this TSM is in logs, metrics, saga ids and failure details (the MNO-TSM: its carrier). */
  identity: string;
  /** ISD master key and KVN: per-card ISD keysets are derived from them. */
  isdMasterKey: Buffer;
  isdKvn: number;
  /** Key length and S-mode of the SSDs created, and the largest APDU data field the OTA path carries. */
  profile: { scp03KeyBytes: 16 | 24 | 32; scp03SMode: 8 | 16; maxApduDataBytes: number };
  /** Wait for a script's response before re-sending the same scriptId, up to `otaMaxSends` sends. */
  otaResponseTimeoutMs: number;
  otaMaxSends: number;
  steps: { card: StepPolicy; local: StepPolicy };
  /** Security tests only: alter or replay forwarded SP APDUs. */
  tampering: 'none' | 'alter' | 'replay';
}
