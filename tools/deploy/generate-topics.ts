/**
 * Writes deploy/base/kafka/topics.yaml (Strimzi KafkaTopic CRs) from the topics declared in libs/contracts.
 *
 *   node -r @swc-node/register tools/deploy/generate-topics.ts          write the file
 *   node -r @swc-node/register tools/deploy/generate-topics.ts --check  exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { physicalTopics } from '@jpki/contracts';
import { renderKafkaTopics, TOPICS_FILE } from '../../deploy/src/topics';

function main(): void {
  const rendered = renderKafkaTopics(physicalTopics(''));
  const shown = relative(resolve(__dirname, '../..'), TOPICS_FILE);
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(TOPICS_FILE, 'utf8');
    } catch {
      // a missing file is stale
    }
    if (current !== rendered) {
      console.error(`[deploy] ${shown} is stale; run: node -r @swc-node/register tools/deploy/generate-topics.ts`);
      process.exit(1);
    }
    console.warn(`[deploy] ${shown} is up to date`);
    return;
  }
  writeFileSync(TOPICS_FILE, rendered);
  console.warn(`[deploy] wrote ${shown} (${physicalTopics('').length} KafkaTopics)`);
}

main();
