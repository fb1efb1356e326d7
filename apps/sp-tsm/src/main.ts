import { runService } from '@jpki/service-kit';
import { SpTsmModule } from './app.module';
import { loadSpTsmConfig } from './config';
import { SP_TSM_OPENAPI, spTsmDefinition } from './definition';

async function main(): Promise<void> {
  const config = loadSpTsmConfig();
  await runService({ definition: spTsmDefinition(config), module: SpTsmModule.register(config), openApi: SP_TSM_OPENAPI });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
