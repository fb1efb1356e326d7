/**
 * Writes deploy/base/network/network-policies.yaml from the service catalogue (deploy/src/network.ts).
 *
 *   node -r @swc-node/register tools/deploy/generate-network-policies.ts          write the file
 *   node -r @swc-node/register tools/deploy/generate-network-policies.ts --check  exit 1 when the committed file is stale
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { NETWORK_POLICIES_FILE, renderNetworkPolicies } from '../../deploy/src/network';

function main(): void {
  const rendered = renderNetworkPolicies();
  const shown = relative(resolve(__dirname, '../..'), NETWORK_POLICIES_FILE);
  if (process.argv.includes('--check')) {
    if (!existsSync(NETWORK_POLICIES_FILE) || readFileSync(NETWORK_POLICIES_FILE, 'utf8') !== rendered) {
      console.error(`[deploy] ${shown} is stale; run: node -r @swc-node/register tools/deploy/generate-network-policies.ts`);
      process.exit(1);
    }
    console.warn(`[deploy] ${shown} is up to date`);
    return;
  }
  writeFileSync(NETWORK_POLICIES_FILE, rendered);
  console.warn(`[deploy] wrote ${shown}`);
}

main();
