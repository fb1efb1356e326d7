import { randomBytes } from 'node:crypto';
import { CARRIER_PROFILES, CARRIERS, PLATFORM_SERVICE_IDENTITIES, type Carrier } from '@jpki/contracts';
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
  /** Carrier ISD master keys (hex); generated when absent. */
  isdMasterKeys?: Partial<Record<Carrier, string>>;
}

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
  // Each carrier's ISD master key has the AES length of its SCP03 profile.
  const isd = Object.fromEntries(CARRIERS.map((c) => [c, opts.isdMasterKeys?.[c] ?? randomBytes(CARRIER_PROFILES[c].scp03KeyBytes).toString('hex')]));
  const specs = PLATFORM_SERVICES.filter((n) => !opts.only || opts.only.includes(n)).map((name) => {
    const { app, env } = appOf(name);
    const carrier = env['CARRIER'] as Carrier | undefined;
    const spec: ServiceSpec = {
      name,
      app,
      port: DEFAULT_PORTS[name as PlatformServiceName] + (opts.portOffset ?? 0),
      schema: `${opts.schemaPrefix}${name.replace(/-/g, '_')}`,
      env: {
        ...env,
        ...(carrier ? { ISD_MASTER_KEY: isd[carrier] } : {}),
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
