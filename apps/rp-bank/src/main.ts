import 'reflect-metadata';
import { runService } from '@jpki/service-kit';
import { RpBankModule } from './app.module';
import { loadRpBankConfig } from './config';
import { RP_BANK_OPENAPI, rpBankDefinition } from './definition';

async function main(): Promise<void> {
  const definition = rpBankDefinition(loadRpBankConfig());
  await runService({ definition, module: RpBankModule.register(definition), openApi: RP_BANK_OPENAPI });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
