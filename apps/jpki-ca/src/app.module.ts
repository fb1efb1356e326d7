import { Module, type DynamicModule } from '@nestjs/common';
import { REFUSED_CALL_AUDIT, ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { AuditController } from './http/audit.controller';
import { CertificatesController } from './http/certificates.controller';
import { CitizensController } from './http/citizens.controller';
import { OcspFrontDoor } from './http/ocsp-front-door';
import { PkiController } from './http/pki.controller';
import { CaRefusedCalls } from './http/refused-calls';
import { CaCommandsHandler } from './messaging/ca-commands.handler';
import { DeviceAttestationService } from './ra/attestation.service';
import { BasicInformationService } from './ra/basic-information.service';
import { CaTransactions } from './ra/ca-transaction';
import { CitizensService } from './ra/citizens.service';
import { FaultInjector } from './ra/faults';
import { IphoneIssuancePolicy } from './ra/iphone-issuance-policy';
import { ProofingRecords } from './ra/proofing-records';
import { IssuanceService } from './ra/issuance.service';
import { ProofingService } from './ra/proofing.service';
import { CardRenewalController } from './ra/renewal-card.controller';
import { CardRenewalService } from './ra/renewal-card.service';
import { RenewalPolicy } from './ra/renewal-policy';
import { RevocationService } from './ra/revocation.service';
import { StatusChanges } from './ra/status-changes';
import { CertificateAuthority } from './signer/certificate-authority';
import { CaKeyBackend, SealedSoftwareKeyBackend } from './signer/key-backend';
import { KeyPool } from './signer/key-pool';
import { CaStore } from './storage/ca-store';
import { CaUrls } from './urls';
import { CaEvents } from './va/ca-events';
import { CrlPublisher } from './va/crl-publisher';
import { Housekeeping } from './va/housekeeping';
import { OcspPreSigner } from './va/ocsp-presigner';
import { OcspService } from './va/ocsp.service';

/**
 * jpki-ca, Boulder-style: RA (ra/: proofing, issuance decisions, one-phone invariant, revocation policy),
 * CA (signer/: holds the keys, only signs), SA (storage/: the only writer of CA tables), and the read side
 * (va/: OCSP responder, pre-signer, CRL publisher).
 */
@Module({})
export class CaModule {
  static register(definition: ServiceDefinition): DynamicModule {
    return {
      module: CaModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [PkiController, CitizensController, CertificatesController, AuditController, CaCommandsHandler, CardRenewalController],
      providers: [
        CaStore,
        CaUrls,
        { provide: CaKeyBackend, useClass: SealedSoftwareKeyBackend },
        KeyPool,
        CertificateAuthority,
        FaultInjector,
        CaTransactions,
        StatusChanges,
        RevocationService,
        IssuanceService,
        DeviceAttestationService,
        IphoneIssuancePolicy,
        ProofingRecords,
        RenewalPolicy,
        CardRenewalService,
        BasicInformationService,
        ProofingService,
        CitizensService,
        CaEvents,
        OcspService,
        OcspFrontDoor,
        OcspPreSigner,
        CrlPublisher,
        Housekeeping,
        { provide: REFUSED_CALL_AUDIT, useClass: CaRefusedCalls },
      ],
    };
  }
}
