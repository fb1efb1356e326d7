import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { eseSeidSchema, SimManufactureRequested } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { badRequest, Clock, notFound, OperatorAudit, printable, ServiceKeys, type OperatorPrincipal } from '@jpki/service-kit';
import { IsdKeyDerivation } from '@jpki/tsm';
import type { SeTsmSettings } from '../config';
import { HANDSET_MODELS } from '../domain/handset-models';
import { newSeid } from '../domain/seid';
import { SE_TSM_SETTINGS } from '../tokens';
import type { SecureElementPage, SecureElementView } from './schemas';
import { EseStore, type SecureElementRecord } from './secure-element-store';

/**
 * The handsets' eSEs as operators see them. Every call runs with its audit record (who, what, when, outcome), a
 * refusal too; a manufacture in one transaction with its record and the message to the vSIM.
 */
@Injectable()
export class SecureElementsService {
  private readonly isdKeys: IsdKeyDerivation;

  constructor(
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly keys: ServiceKeys,
    @Inject(SE_TSM_SETTINGS) private readonly settings: SeTsmSettings,
    private readonly store: EseStore,
    private readonly audit: OperatorAudit,
  ) {
    this.isdKeys = new IsdKeyDerivation(settings.isdMasterKey, settings.isdKvn);
  }

  /**
   * A new eSE for a handset of `model`: a random SEID, its ISD keyset derived with the SEID as KDD and sealed to the
   * vSIM, which manufactures it (`ota.sim.manufacture-requested` on `ota.ese.down`); `manufacturing` until it reports.
   */
  manufacture(op: OperatorPrincipal, model: string): Promise<SecureElementView> {
    return this.audit.audited(op, 'secure-element.manufacture', null, async (m) => {
      const spec = HANDSET_MODELS[model];
      if (!spec) throw badRequest('HANDSET_MODEL_UNKNOWN', `${printable(model, 32)} is not a handset model of the catalogue`, { known: Object.keys(HANDSET_MODELS) });
      const seid = newSeid();
      const { isdAid, isdKvn } = this.settings;
      await this.store.insert(m, { seid, model, isdAid, isdKvn, memoryQuotaBytes: spec.memoryQuotaBytes }, this.clock.now());
      await this.outbox.publish(m, SimManufactureRequested, {
        seid,
        generation: model,
        memoryQuotaBytes: spec.memoryQuotaBytes,
        isdKeyset: this.isdKeys.sealedForManufacture(seid, this.keys),
      });
      return { result: toView(await this.required(seid, m)), target: seid, details: { model } };
    });
  }

  find(op: OperatorPrincipal, seid: string): Promise<SecureElementView> {
    return this.audit.audited(op, 'secure-element.read', printable(seid, 64), async (m) => {
      if (!eseSeidSchema.safeParse(seid).success) throw badRequest('SEID_MALFORMED', 'an eSE SEID is E5 followed by 18 upper-case hex digits');
      return { result: toView(await this.required(seid, m)) };
    });
  }

  list(op: OperatorPrincipal, q: { state?: string; model?: string; limit: number; after?: string }): Promise<SecureElementPage> {
    return this.audit.audited(op, 'secure-element.list', null, async () => {
      const items = (await this.store.page(q)).map(toView);
      return { result: { items, next: items.length === q.limit ? items[items.length - 1].seid : null }, details: q };
    });
  }

  private async required(seid: string, m: EntityManager): Promise<SecureElementRecord> {
    const se = await this.store.find(seid, m);
    if (!se) throw notFound('SE_UNKNOWN', `no eSE ${seid}`);
    return se;
  }
}

function toView(r: SecureElementRecord): SecureElementView {
  return {
    seid: r.seid,
    model: r.model,
    state: r.state,
    isdAid: r.isd_aid,
    isdKvn: r.isd_kvn,
    memoryQuotaBytes: r.memory_quota_bytes,
    freeMemoryBytes: r.free_memory_bytes,
    createdAt: r.created_at.toISOString(),
    activatedAt: r.activated_at?.toISOString() ?? null,
  };
}
