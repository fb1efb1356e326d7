import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { AccountsController } from './accounts/accounts.controller';
import { LoginChallenges } from './login/login-challenges';
import { LoginController } from './login/login.controller';
import { LoginService } from './login/login.service';
import { Sessions } from './login/sessions';
import { CaEventsHandler } from './messaging/ca-events.handler';
import { BankVerifier } from './verification/bank-verifier';

@Module({})
export class RpBankModule {
  static register(definition: ServiceDefinition): DynamicModule {
    return {
      module: RpBankModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [LoginController, AccountsController, CaEventsHandler],
      providers: [BankVerifier, LoginChallenges, Sessions, LoginService],
    };
  }
}
