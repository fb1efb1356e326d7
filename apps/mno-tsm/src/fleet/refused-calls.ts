import { Injectable } from '@nestjs/common';
import { authenticationRefusals, type RefusedCall, type RefusedCallAudit } from '@jpki/service-kit';
import { FleetService } from './fleet.service';

/** The calls the operator authentication refuses (401, 403): the fleet's own refusals are audited with their action. */
@Injectable()
export class FleetRefusedCalls implements RefusedCallAudit {
  constructor(private readonly fleet: FleetService) {}

  audits(status: number): boolean {
    return authenticationRefusals(status);
  }

  record({ request: req, action, reason, claimedSubject }: RefusedCall): Promise<void> {
    const actor = req.operator ?? { sub: 'anonymous', roles: [] };
    const details = { method: req.method, path: req.path, ...(req.operator ? { carrier: req.operator.carrier ?? null } : { claimedSubject }) };
    return this.fleet.recordRefusedCall(actor, action, Object.values(req.params ?? {}).join('/') || null, reason, details);
  }
}
