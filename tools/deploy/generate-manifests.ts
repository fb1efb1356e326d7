/**
 * Writes the manifests generated from the service catalogue and libs/contracts: deploy/base/network/network-policies.yaml
 * (deploy/src/network.ts) and deploy/overlays/prod/scaledobjects.yaml (deploy/src/autoscaling.ts).
 *
 *   node -r @swc-node/register tools/deploy/generate-manifests.ts          write the files
 *   node -r @swc-node/register tools/deploy/generate-manifests.ts --check  exit 1 when a committed file is stale
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { renderScaledObjects, SCALED_OBJECTS_FILE } from '../../deploy/src/autoscaling';
import { NETWORK_POLICIES_FILE, renderNetworkPolicies } from '../../deploy/src/network';

const GENERATED: [string, () => string][] = [
  [NETWORK_POLICIES_FILE, renderNetworkPolicies],
  [SCALED_OBJECTS_FILE, renderScaledObjects],
];

function main(): void {
  const root = resolve(__dirname, '../..');
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [file, render] of GENERATED) {
    const rendered = render();
    const shown = relative(root, file);
    if (!check) {
      writeFileSync(file, rendered);
      console.warn(`[deploy] wrote ${shown}`);
    } else if (!existsSync(file) || readFileSync(file, 'utf8') !== rendered) {
      console.error(`[deploy] ${shown} is stale; run: node -r @swc-node/register tools/deploy/generate-manifests.ts`);
      stale = true;
    } else console.warn(`[deploy] ${shown} is up to date`);
  }
  if (stale) process.exit(1);
}

main();
