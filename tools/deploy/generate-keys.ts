/**
 * Prints freshly generated service keys as a `.env` file for docker-compose or as Kubernetes Secret
 * manifests. The output is SECRET: never commit it (`.env` is git-ignored); pipe the manifests straight
 * into `kubectl apply -f -` or into your secret manager.
 *
 *   node -r @swc-node/register tools/deploy/generate-keys.ts --format env > .env
 *   node -r @swc-node/register tools/deploy/generate-keys.ts --format k8s --namespace jpki | kubectl apply -f -
 *
 * Options: --format env|k8s (default env), --namespace <ns> (k8s, default jpki), --kek-id <id> (default
 * k<yyyymmdd>), --attestation-vendor <file> (reuse a SIMULATED device-attestation vendor file instead of
 * creating one, e.g. from `apps/device … iphone-vendor-create`). What is generated: see deploy/src/keys.ts.
 */
import { generateDeploymentKeys, renderEnvFile, renderSecrets } from '../../deploy/src/keys';
import { deviceAttestationVendor } from './device-attestation';

function option(name: string, fallback: string): string {
  const inline = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (inline) return inline.slice(name.length + 3);
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function main(): void {
  if (process.argv.includes('--help')) {
    console.warn('usage: generate-keys.ts [--format env|k8s] [--namespace jpki] [--kek-id k20250101] [--attestation-vendor vendor.json]');
    return;
  }
  const format = option('format', 'env');
  if (format !== 'env' && format !== 'k8s') {
    console.error(`unknown --format ${format} (env or k8s)`);
    process.exit(2);
  }
  const keys = generateDeploymentKeys({
    kekId: option('kek-id', '') || undefined,
    deviceAttestation: deviceAttestationVendor(option('attestation-vendor', '') || undefined),
  });
  process.stdout.write(format === 'env' ? renderEnvFile(keys) : renderSecrets(keys, option('namespace', 'jpki')));
  console.warn('[deploy] generated fresh keys: this output is secret, never commit it');
}

main();
