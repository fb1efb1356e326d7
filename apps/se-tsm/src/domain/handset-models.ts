/** A handset model as the SE-management TSM knows it: whether its eSE can host the JPKI applet, and its memory. */
export interface HandsetModel {
  supportsJpkiApplet: boolean;
  memoryQuotaBytes: number;
}

/**
 * The handset models whose eSEs this TSM manages (SIMULATED: no real vendor's models or parameters). An applet-capable
 * eSE runs GlobalPlatform 2.2+ with SCP03; the legacy one predates SCP03.
 */
export const HANDSET_MODELS: Readonly<Record<string, HandsetModel>> = {
  'kumo-5g': { supportsJpkiApplet: true, memoryQuotaBytes: 128 * 1024 },
  'sakura-lite': { supportsJpkiApplet: true, memoryQuotaBytes: 64 * 1024 },
  'tsubame-2019': { supportsJpkiApplet: false, memoryQuotaBytes: 16 * 1024 },
};
