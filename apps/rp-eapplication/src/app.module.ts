import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { ApplicationsController } from './applications/applications.controller';
import { ApplicationsService } from './applications/applications.service';
import { SignatureVerifier } from './verification/signature-verifier';

@Module({})
export class RpEapplicationModule {
  static register(definition: ServiceDefinition): DynamicModule {
    return {
      module: RpEapplicationModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [ApplicationsController],
      providers: [SignatureVerifier, ApplicationsService],
    };
  }
}
