import { runService } from '@jpki/service-kit';
import { LifecycleModule } from './app.module';
import { loadLifecycleConfig } from './config';
import { LIFECYCLE_OPENAPI, lifecycleDefinition } from './definition';

async function main(): Promise<void> {
  const config = loadLifecycleConfig();
  await runService({ definition: lifecycleDefinition(config), module: LifecycleModule.register(config), openApi: LIFECYCLE_OPENAPI });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
