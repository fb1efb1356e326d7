import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { sagaMigrations } from '@jpki/saga';
import { OperatorReadIndexes1700000001500 } from '@jpki/tsm';
import { CreateMnoTables1700000001000 } from './1700000001000-create-mno-tables';
import { IsdSequenceCounter1700000001100 } from './1700000001100-isd-sequence-counter';
import { OtaForward1700000001200 } from './1700000001200-ota-forward';
import { OtaQueueRetry1700000001300 } from './1700000001300-ota-queue-retry';
import { SimByReplacedIccid1700000001400 } from './1700000001400-sim-by-replaced-iccid';

export const mnoTsmMigrations = [CreateMessagingTables1700000000000, ...sagaMigrations, CreateMnoTables1700000001000, IsdSequenceCounter1700000001100, OtaForward1700000001200, OtaQueueRetry1700000001300, SimByReplacedIccid1700000001400, OperatorReadIndexes1700000001500];
