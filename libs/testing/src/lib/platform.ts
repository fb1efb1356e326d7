import { randomBytes } from 'node:crypto';
import { CARRIER_PROFILES, CARRIERS, mnoTsmOf, PLATFORM_SERVICE_IDENTITIES, SE_TSM } from '@jpki/contracts';
import { DEFAULT_PORTS, type PlatformServiceName } from '@jpki/jpki-client';
import { ServiceStack, StackKeys, type ServiceSpec, type StackOptions } from './service-stack';

/** Service identities of the platform (names in signed messages and trust lists), as libs/contracts declares them. */
export const PLATFORM_SERVICES = PLATFORM_SERVICE_IDENTITIES;

export interface PlatformOptions extends Omit<StackOptions, 'keys'> {
  keys?: StackKeys;
  /** Prefix of every service schema, e.g. `demo_` or this test run's id. */
  schemaPrefix: string;
  /** Added to every default port, so a test stack and a demo stack can run side by side. */
  portOffset?: number;
  /** Which services to start (all by default). */
  only?: readonly string[];
  /** Per-service environment additions. */
  serviceEnv?: Record<string, Record<string, string>>;
  /** Extra instances of services that scale out: same identity, schema and consumer group, ports +50, +100… */
  replicas?: Partial<Record<string, number>>;
  /** ISD master keys (hex) by TSM identity; generated when absent. */
  isdMasterKeys?: Partial<Record<string, string>>;
}

/**
 * The TSMs and the AES length of their ISD master keys: a carrier's SCP03 profile, and the SE-management TSM's
 * default profile (AES-128, apps/se-tsm SCP03_KEY_BYTES).
 */
const ISD_KEY_BYTES: Readonly<Record<string, number>> = {
  ...Object.fromEntries(CARRIERS.map((c) => [mnoTsmOf(c), CARRIER_PROFILES[c].scp03KeyBytes])),
  [SE_TSM]: 16,
};

function appOf(name: string): { app: string; env: Record<string, string> } {
  const carrier = CARRIERS.find((c) => name === `mno-tsm-${c}`);
  return carrier ? { app: 'mno-tsm', env: { CARRIER: carrier } } : { app: name, env: {} };
}

/** The n-th extra instance of a service is `<name>#<n+1>`, listening on the service's port + 50·n. */
function replicasOf(spec: ServiceSpec, count: number): ServiceSpec[] {
  return Array.from({ length: count }, (_, i) => ({ ...spec, name: `${spec.name}#${i + 2}`, identity: spec.name, port: spec.port + 50 * (i + 1) }));
}

/** The whole platform as separate processes: every service with its port, schema, keys and trust lists. */
export function platformStack(opts: PlatformOptions): { stack: ServiceStack; keys: StackKeys; specs: ServiceSpec[] } {
  const keys = opts.keys ?? new StackKeys([...PLATFORM_SERVICES]);
  const stack = new ServiceStack({ ...opts, keys });
  const isd = Object.fromEntries(Object.entries(ISD_KEY_BYTES).map(([tsm, bytes]) => [tsm, opts.isdMasterKeys?.[tsm] ?? randomBytes(bytes).toString('hex')]));
  const specs = PLATFORM_SERVICES.filter((n) => !opts.only || opts.only.includes(n)).map((name) => {
    const { app, env } = appOf(name);
    const spec: ServiceSpec = {
      name,
      app,
      port: DEFAULT_PORTS[name as PlatformServiceName] + (opts.portOffset ?? 0),
      schema: `${opts.schemaPrefix}${name.replace(/-/g, '_')}`,
      env: {
        ...env,
        ...(isd[name] ? { ISD_MASTER_KEY: isd[name] } : {}),
        // Relying parties reach the CA over HTTP (anchors, OCSP, CRLs).
        ...(name.startsWith('rp-') ? { JPKI_CA_URL: `http://127.0.0.1:${DEFAULT_PORTS['jpki-ca'] + (opts.portOffset ?? 0)}` } : {}),
        ...opts.serviceEnv?.[name],
      },
    };
    const replicas = replicasOf(spec, opts.replicas?.[name] ?? 0);
    [spec, ...replicas].forEach((s) => stack.add(s));
    return [spec, ...replicas];
  }).flat();
  return { stack, keys, specs };
}
