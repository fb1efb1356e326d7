/**
 * The deployable service instances of the platform, declared once for the deploy tooling: one entry per
 * running identity (mno-tsm runs three times, once per carrier). Compose, the Kustomize base and the
 * manifest test are checked against this list.
 */
import { CARRIER_PROFILES, CARRIERS, type Carrier } from '@jpki/contracts';

export interface ServiceInstance {
  /** Identity in signed messages and trust lists; also the Deployment/Service/container name. */
  readonly identity: string;
  /** Folder under apps/ (the image's APP variable). */
  readonly app: string;
  readonly port: number;
  readonly schema: string;
  readonly carrier?: Carrier;
  /** AES key size of the carrier's SCP03 profile (the ISD master key must match it). */
  readonly isdKeyBytes?: number;
}

const carrierPorts: Record<Carrier, number> = { docomo: 7301, kddi: 7302, softbank: 7303 };

export const SERVICE_INSTANCES: readonly ServiceInstance[] = [
  { identity: 'jpki-ca', app: 'jpki-ca', port: 7100, schema: 'jpki_ca' },
  { identity: 'sp-tsm', app: 'sp-tsm', port: 7200, schema: 'sp_tsm' },
  ...CARRIERS.map((carrier) => ({
    identity: `mno-tsm-${carrier}`,
    app: 'mno-tsm',
    port: carrierPorts[carrier],
    schema: `mno_tsm_${carrier}`,
    carrier,
    isdKeyBytes: CARRIER_PROFILES[carrier].scp03KeyBytes,
  })),
  { identity: 'vsim', app: 'vsim', port: 7400, schema: 'vsim' },
  { identity: 'lifecycle', app: 'lifecycle', port: 7500, schema: 'lifecycle' },
];

/** `mno-tsm-docomo` → `MNO_TSM_DOCOMO`: prefix of a service's variables in the compose `.env` file. */
export const envPrefixOf = (identity: string): string => identity.toUpperCase().replace(/-/g, '_');

/** Kubernetes Secret holding one service's private keys (referenced by its Deployment, never committed). */
export const keySecretOf = (identity: string): string => `${identity}-keys`;

/** Secret with the trust lists every service reads (public keys, but generated with the private ones). */
export const TRUST_SECRET = 'jpki-trust';

/** Secret with the operator identity provider's signing key; mounted by no service. */
export const OPERATOR_IDP_SECRET = 'jpki-operator-idp';
