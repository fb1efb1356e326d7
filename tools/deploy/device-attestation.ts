/**
 * The SIMULATED iPhone platform vendor (device-attestation CA) of a deployment, for generate-keys: a fresh one,
 * as the test stack makes (libs/testing StackKeys.deviceAttestation), or an existing vendor file, e.g. one made
 * with `node -r @swc-node/register apps/device/src/main.ts iphone-vendor-create --out vendor.json`.
 * Kept out of deploy/src so the deploy library does not depend on a domain library.
 */
import { readFileSync } from 'node:fs';
import { SimulatedAttestationAuthority, type AttestationAuthorityJson } from '@jpki/iphone-device';
import type { DeviceAttestationVendor } from '../../deploy/src/keys';

export function deviceAttestationVendor(vendorFile?: string): DeviceAttestationVendor {
  const vendor = vendorFile
    ? SimulatedAttestationAuthority.fromJSON(JSON.parse(readFileSync(vendorFile, 'utf8')) as AttestationAuthorityJson)
    : SimulatedAttestationAuthority.generate();
  return { roots: vendor.trustAnchorBase64, vendorJson: JSON.stringify(vendor.toJSON()) };
}
