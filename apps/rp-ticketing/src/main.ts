import 'reflect-metadata';
import { runService } from '@jpki/service-kit';
import { RpTicketingModule } from './app.module';
import { loadRpTicketingConfig } from './config';
import { RP_TICKETING_OPENAPI, rpTicketingDefinition } from './definition';

async function main(): Promise<void> {
  const definition = rpTicketingDefinition(loadRpTicketingConfig());
  await runService({ definition, module: RpTicketingModule.register(definition), openApi: RP_TICKETING_OPENAPI });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
