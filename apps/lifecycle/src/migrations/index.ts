import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { sagaMigrations } from '@jpki/saga';
import { CreateLifecycleTables1700000001000 } from './1700000001000-create-lifecycle-tables';
import { PhoneSigningCertificates1700000001100 } from './1700000001100-phone-signing-certificates';
import { EsePhones1700000001200 } from './1700000001200-ese-phones';
import { PhoneByDevice1700000001300 } from './1700000001300-phone-by-device';
import { SimByImei1700000001400 } from './1700000001400-sim-by-imei';

export const lifecycleMigrations = [CreateMessagingTables1700000000000, ...sagaMigrations, CreateLifecycleTables1700000001000, PhoneSigningCertificates1700000001100, EsePhones1700000001200, PhoneByDevice1700000001300, SimByImei1700000001400];
