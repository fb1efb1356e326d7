import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { Challenges } from './challenges/challenges';
import { GateCrlCache } from './gates/gate-crl-cache';
import { GatesController } from './gates/gates.controller';
import { GatesService } from './gates/gates.service';
import { TicketsController } from './tickets/tickets.controller';
import { TicketsService } from './tickets/tickets.service';
import { CaDirectoryClient, TicketingVerifier } from './verification/ticketing-verifier';

@Module({})
export class RpTicketingModule {
  static register(definition: ServiceDefinition): DynamicModule {
    return {
      module: RpTicketingModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [TicketsController, GatesController],
      providers: [CaDirectoryClient, TicketingVerifier, Challenges, TicketsService, GateCrlCache, GatesService],
    };
  }
}
