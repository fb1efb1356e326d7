import 'reflect-metadata';
import { runService } from '@jpki/service-kit';
import { CaModule } from './app.module';
import { loadCaConfig } from './config';
import { CA_OPENAPI, caDefinition } from './definition';

async function main(): Promise<void> {
  const definition = caDefinition(loadCaConfig());
  await runService({ definition, module: CaModule.register(definition), openApi: CA_OPENAPI });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
