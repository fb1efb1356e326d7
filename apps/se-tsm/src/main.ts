import { runService } from '@jpki/service-kit';
import { SeTsmModule } from './app.module';
import { loadSeTsmConfig } from './config';
import { seTsmDefinition } from './definition';

async function main(): Promise<void> {
  const { config, settings } = loadSeTsmConfig();
  const definition = seTsmDefinition(config);
  await runService({
    definition,
    module: SeTsmModule.register(definition, settings),
    openApi: {
      title: 'SE-management TSM',
      description:
        "The device side's TSM: the handsets' embedded secure elements (operator API below), and the GP-Messaging-inspired " +
        'SP-TSM operations for eSEs over Kafka (se.commands / se.events), to the eSEs over the push channel (ota.ese.down / ota.ese.up).',
    },
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
