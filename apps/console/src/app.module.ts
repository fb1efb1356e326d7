import { Module, type DynamicModule } from '@nestjs/common';
import type { ConsoleConfig } from './config';
import { DeadLetters } from './dashboard';
import { EventsController } from './events.controller';
import { EventFeed } from './feed';
import { HealthController } from './health.controller';
import { ProxyController } from './proxy.controller';
import { SessionController } from './session.controller';
import { Sessions } from './sessions';
import { CONSOLE_CONFIG } from './tokens';

@Module({})
export class ConsoleModule {
  static forRoot(config: ConsoleConfig): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [SessionController, ProxyController, EventsController, HealthController],
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        { provide: Sessions, useValue: new Sessions(config) },
        { provide: EventFeed, useValue: new EventFeed(config) },
        { provide: DeadLetters, useValue: new DeadLetters(config) },
      ],
    };
  }
}
