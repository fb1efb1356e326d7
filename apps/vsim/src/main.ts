import { runService } from '@jpki/service-kit';
import { VsimModule } from './app.module';
import { loadVsimConfig } from './config';
import { vsimDefinition } from './definition';

const definition = vsimDefinition(loadVsimConfig());

void runService({
  definition,
  module: VsimModule.register(definition),
  openApi: {
    title: 'vsim',
    description:
      "Virtual SIMs of every carrier and handsets' embedded SEs: OTA bearer end (Kafka), OMAPI-like handset channel, handset power and card inspection.",
  },
}).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
