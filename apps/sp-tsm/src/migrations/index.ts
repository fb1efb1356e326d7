import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { sagaMigrations } from '@jpki/saga';
import { CreateSpTsmTables1700000001000 } from './1700000001000-create-sp-tsm-tables';
import { ServiceOperations1700000001100 } from './1700000001100-service-operations';
import { SsdChannel1700000001200 } from './1700000001200-ssd-channel';
import { ProvenHoldsAndOperatorAudit1700000002200 } from './1700000002200-proven-holds-and-operator-audit';
import { SsdSequenceCounter1700000002300 } from './1700000002300-ssd-sequence-counter';
import { PhoneSigning1700000002400 } from './1700000002400-phone-signing';
import { SecureElementIds1700000002500 } from './1700000002500-secure-element-ids';
import { ServiceOperationSeid1700000002600 } from './1700000002600-service-operation-seid';
import { OperatorAuditIndexes1700000002700 } from './1700000002700-operator-audit-indexes';

export const spTsmMigrations = [CreateMessagingTables1700000000000, ...sagaMigrations, CreateSpTsmTables1700000001000, ServiceOperations1700000001100, SsdChannel1700000001200, ProvenHoldsAndOperatorAudit1700000002200, SsdSequenceCounter1700000002300, PhoneSigning1700000002400, SecureElementIds1700000002500, ServiceOperationSeid1700000002600, OperatorAuditIndexes1700000002700];
