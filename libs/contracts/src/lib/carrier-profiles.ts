import type { Carrier } from './topics';
import type { MvnoId } from './common';

/**
 * Default carrier profiles (a simulation, not the carriers' real parameters). The MNO-TSM of a
 * carrier and the vSIM's OTA bearer read them; deployments override them through configuration.
 */
export interface CarrierProfile {
  carrier: Carrier;
  displayName: string;
  /** ICCID prefix: 89 (telecom) + 81 (Japan) + issuer digits. */
  iccidPrefix: string;
  /** AES key length of the SCP03 keysets on this carrier's SIMs. */
  scp03KeyBytes: 16 | 24 | 32;
  /** SCP03 S8 or S16 mode (Amd D v1.2) of the SSDs the MNO-TSM creates: 8- or 16-byte challenges, cryptograms and MACs. */
  scp03SMode: 8 | 16;
  /** Largest command data field the OTA path carries in one APDU. */
  maxApduDataBytes: number;
  ota: { latencyMs: number; lossRate: number };
  /** SIM generations in the fleet, and whether each can host the JPKI applet (GP 2.2+, SCP03, memory). */
  simGenerations: Record<string, { supportsJpkiApplet: boolean; memoryQuotaBytes: number }>;
  mvnos: MvnoId[];
}

export const CARRIER_PROFILES: Record<Carrier, CarrierProfile> = {
  docomo: {
    carrier: 'docomo',
    displayName: 'NTT docomo',
    iccidPrefix: '898110',
    scp03KeyBytes: 16,
    scp03SMode: 8,
    maxApduDataBytes: 255,
    ota: { latencyMs: 40, lossRate: 0 },
    simGenerations: {
      'docomo-uim-5g': { supportsJpkiApplet: true, memoryQuotaBytes: 96 * 1024 },
      'docomo-uim-legacy': { supportsJpkiApplet: false, memoryQuotaBytes: 16 * 1024 },
    },
    mvnos: ['iijmio'],
  },
  kddi: {
    carrier: 'kddi',
    displayName: 'KDDI (au)',
    iccidPrefix: '898130',
    scp03KeyBytes: 24,
    scp03SMode: 8,
    maxApduDataBytes: 255,
    ota: { latencyMs: 60, lossRate: 0 },
    simGenerations: {
      'au-ic-card-5g': { supportsJpkiApplet: true, memoryQuotaBytes: 128 * 1024 },
      'au-ic-card-legacy': { supportsJpkiApplet: false, memoryQuotaBytes: 16 * 1024 },
    },
    mvnos: ['mineo'],
  },
  softbank: {
    carrier: 'softbank',
    displayName: 'SoftBank',
    iccidPrefix: '898120',
    scp03KeyBytes: 32,
    scp03SMode: 16,
    maxApduDataBytes: 255,
    ota: { latencyMs: 50, lossRate: 0 },
    simGenerations: {
      'softbank-usim-5g': { supportsJpkiApplet: true, memoryQuotaBytes: 96 * 1024 },
      'softbank-usim-legacy': { supportsJpkiApplet: false, memoryQuotaBytes: 16 * 1024 },
    },
    mvnos: ['linemo'],
  },
};
