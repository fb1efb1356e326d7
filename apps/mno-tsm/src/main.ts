import { runService } from '@jpki/service-kit';
import { MnoTsmModule } from './app.module';
import { loadMnoTsmConfig } from './config';
import { mnoTsmDefinition } from './definition';

async function main(): Promise<void> {
  const { config, settings } = loadMnoTsmConfig();
  const definition = mnoTsmDefinition(config, settings);
  await runService({
    definition,
    module: MnoTsmModule.register(definition, settings),
    openApi: {
      title: `MNO-TSM (${settings.profile.displayName})`,
      description:
        `The ${settings.profile.displayName} MNO-TSM: subscribers and SIM fleet (operator API below), and the ` +
        'GP-Messaging-inspired SP-TSM operations over Kafka (mno.<carrier>.commands / mno.<carrier>.events).',
    },
  });
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
