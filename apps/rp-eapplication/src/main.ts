import 'reflect-metadata';
import { runService } from '@jpki/service-kit';
import { RpEapplicationModule } from './app.module';
import { loadRpEapplicationConfig } from './config';
import { RP_EAPPLICATION_OPENAPI, rpEapplicationDefinition } from './definition';

async function main(): Promise<void> {
  const definition = rpEapplicationDefinition(loadRpEapplicationConfig());
  await runService({ definition, module: RpEapplicationModule.register(definition), openApi: RP_EAPPLICATION_OPENAPI });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
