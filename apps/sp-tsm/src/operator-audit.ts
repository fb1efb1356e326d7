import { Injectable } from '@nestjs/common';
import { OperatorRefusedCalls, type AuditedRequest } from '@jpki/service-kit';

/** sp-tsm's operator reads name the number or iPhone asked about in the query: a refused read is audited under it. */
@Injectable()
export class SpTsmRefusedCalls extends OperatorRefusedCalls {
  protected override targetOf(req: AuditedRequest): string | undefined {
    return [req.query['msisdn'], req.query['deviceId']].find((v): v is string => typeof v === 'string');
  }
}
