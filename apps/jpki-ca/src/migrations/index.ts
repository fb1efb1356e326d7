import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateCaTables1700000001000 } from './1700000001000-create-ca-tables';
import { CreateAuditLog1700000001100 } from './1700000001100-create-audit-log';
import { RenewalKeyMode1700000001200 } from './1700000001200-renewal-key-mode';
import { ProofingConsumption1700000001300 } from './1700000001300-proofing-consumption';
import { PhoneSigning1700000001400 } from './1700000001400-phone-signing';
import { CertificateSeid1700000001500 } from './1700000001500-certificate-seid';
import { OcspRefreshSchedule1700000001600 } from './1700000001600-ocsp-refresh-schedule';
import { ActivePhoneByDevice1700000001700 } from './1700000001700-active-phone-by-device';

export const caMigrations = [CreateMessagingTables1700000000000, CreateCaTables1700000001000, CreateAuditLog1700000001100, RenewalKeyMode1700000001200, ProofingConsumption1700000001300, PhoneSigning1700000001400, CertificateSeid1700000001500, OcspRefreshSchedule1700000001600, ActivePhoneByDevice1700000001700];
