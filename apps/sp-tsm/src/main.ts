import { runService } from '@jpki/service-kit';
import { SpTsmModule, spTsmDefinition } from './app.module';
import { loadSpTsmConfig } from './config';

async function main(): Promise<void> {
  const config = loadSpTsmConfig();
  await runService({
    definition: spTsmDefinition(config),
    module: SpTsmModule.register(config),
    openApi: {
      title: 'SP-TSM',
      description:
        'Service provider TSM of the JPKI smartphone service: enrollment sagas that prove identity at the JPKI CA, ' +
        'obtain an SSD from the carrier, take it over with the SP keyset, install and personalize the JPKI applet, ' +
        'and have the certificate issued.',
    },
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
