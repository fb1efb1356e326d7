import { Injectable } from '@nestjs/common';
import { authenticationRefusals, printable, printableJson, type RefusedCall, type RefusedCallAudit } from '@jpki/service-kit';
import { AdminService } from './admin.service';

/**
 * The operator API's refusals by the authentication itself (401, 403: no token, a bad one, a missing role, a
 * carrier-scoped token on another carrier's SIM, an eSE or the platform-wide bearer) go into `audit_log` beside the controls they refused, as at the CA
 * (`operator-call.refused`): who (the verified principal, or `anonymous` with the subject the token claims), what (the
 * call, and the SEID its path names, as sent) and why. Caller-sent values are stored escaped.
 */
@Injectable()
export class AdminRefusedCalls implements RefusedCallAudit {
  constructor(private readonly admin: AdminService) {}

  audits(status: number): boolean {
    return authenticationRefusals(status);
  }

  record({ request: req, action, status, reason, claimedSubject }: RefusedCall): Promise<void> {
    const seid = req.params['seid'];
    const details = { action, status, reason, method: req.method, path: req.path, ...(req.operator ? { carrier: req.operator.carrier ?? null } : { claimedSubject }) };
    return this.admin.recordRefusedCall(req.operator ?? { sub: 'anonymous', roles: [] }, typeof seid === 'string' ? printable(seid, 64) : null, printableJson(details));
  }
}
